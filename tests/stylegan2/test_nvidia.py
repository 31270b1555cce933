"""NVIDIA's StyleGAN2 pickles → rosinality layout: both formats, checked against an independent forward."""

from __future__ import annotations

import importlib.util
import os
import pickle
from collections import OrderedDict

import numpy as np
import pytest
import torch

from engine.checkpoints import CheckpointError
from engine.stylegan2 import Generator, GeneratorConfig, load_generator
from engine.stylegan2.nvidia import (
    StyleGAN3NotSupported,
    convert_nvidia_pickle,
    describe,
    import_generator,
)
from engine.stylegan2.safe_pickle import PickleRefused, safe_load
from tests.stylegan2.nvidia_pickles import (
    ada_tensors,
    flat,
    nvidia_modules,
    reference_mapping,
    reference_synthesis,
    tf_variables,
    write_ada_pickle,
    write_tf_pickle,
)

RESOLUTION, W_DIM, N_MLP = 32, 16, 3
CHANNELS = {4: 16, 8: 12, 16: 10, 32: 6}  # all different, so a layer put at the wrong resolution cannot load


@pytest.fixture(scope="module")
def variables():
    return tf_variables(RESOLUTION, CHANNELS, W_DIM, N_MLP, seed=3)


@pytest.fixture(scope="module")
def marker(tmp_path_factory):
    """Written by the sources inside the pickles if they are ever run."""
    return tmp_path_factory.mktemp("marker") / "ran.txt"


@pytest.fixture(scope="module")
def tf_pickle(tmp_path_factory, variables, marker):
    return write_tf_pickle(
        tmp_path_factory.mktemp("tf") / "stylegan2-small-config-f.pkl", variables, marker, RESOLUTION
    )


@pytest.fixture(scope="module")
def ada_pickle(tmp_path_factory, variables, marker):
    return write_ada_pickle(tmp_path_factory.mktemp("ada") / "network-snapshot.pkl", ada_tensors(variables), marker)


@pytest.fixture(scope="module")
def tf_converted(tf_pickle):
    return convert_nvidia_pickle(tf_pickle)


@pytest.fixture(scope="module")
def tf_generator(tmp_path_factory, tf_pickle) -> Generator:
    """The TF pickle imported to a file and loaded by the engine's ordinary loader."""
    dest = tmp_path_factory.mktemp("out") / "g.pt"
    import_generator(tf_pickle, dest)
    return load_generator(dest)


def test_the_nvidia_modules_are_not_importable_when_reading(tf_pickle, ada_pickle):
    for name in ("dnnlib", "torch_utils"):
        assert importlib.util.find_spec(name) is None


def test_tensorflow_pickle_maps_z_like_the_tensorflow_graph(tf_generator, variables):
    z = torch.from_numpy(np.random.default_rng(11).standard_normal((4, W_DIM)).astype(np.float32))
    expected = reference_mapping(flat(variables), z, N_MLP)
    with torch.no_grad():
        got = tf_generator.mapping(z)
    torch.testing.assert_close(got.double(), expected, rtol=1e-4, atol=1e-4)


def test_tensorflow_pickle_renders_like_the_tensorflow_graph(tf_generator, variables):
    # A different w per W+ level, so a layer reading the wrong level would show.
    ws = torch.from_numpy(np.random.default_rng(12).standard_normal((2, tf_generator.num_ws, W_DIM)).astype(np.float32))
    expected = reference_synthesis(flat(variables), ws, RESOLUTION)
    with torch.no_grad():
        got = tf_generator.synthesize(ws, noise_mode="const")
    assert got.shape == (2, 3, RESOLUTION, RESOLUTION)
    scale = expected.abs().max().item()
    assert scale > 1.0  # a real image, not zeros
    torch.testing.assert_close(got.double(), expected, rtol=1e-4, atol=1e-4 * scale)


def test_without_the_upsampling_flip_the_images_differ(tf_generator, variables):
    """Negative control: the render comparison notices a kernel left unflipped (convert_weight.py's flip=True)."""
    ws = torch.from_numpy(np.random.default_rng(12).standard_normal((1, tf_generator.num_ws, W_DIM)).astype(np.float32))
    expected = reference_synthesis(flat(variables), ws, RESOLUTION)
    broken = Generator(tf_generator.config).eval()
    broken.load_state_dict(tf_generator.state_dict())
    with torch.no_grad():
        broken.convs[0].conv.weight.copy_(broken.convs[0].conv.weight.flip(3, 4))
        got = broken.synthesize(ws, noise_mode="const")
    assert not torch.allclose(got.double(), expected, rtol=1e-2, atol=1e-2)


def test_tensorflow_names_land_where_convert_weight_puts_them(tf_converted, variables):
    tf, state = flat(variables), tf_converted["g_ema"]
    assert torch.equal(tf_converted["latent_avg"], torch.from_numpy(tf["dlatent_avg"]))
    up = tf["synthesis/16x16/Conv0_up/weight"]  # [k, k, in, out]; 16 px is rosinality's convs.2
    assert np.array_equal(state["convs.2.conv.weight"][0].numpy(), up.transpose(3, 2, 0, 1)[:, :, ::-1, ::-1])
    assert np.array_equal(
        state["convs.3.conv.weight"][0].numpy(), tf["synthesis/16x16/Conv1/weight"].transpose(3, 2, 0, 1)
    )
    assert np.array_equal(state["conv1.conv.modulation.bias"].numpy(), tf["synthesis/4x4/Conv/mod_bias"] + 1)
    assert np.array_equal(state["to_rgbs.1.conv.modulation.weight"].numpy(), tf["synthesis/16x16/ToRGB/mod_weight"].T)
    assert np.array_equal(state["to_rgbs.1.bias"].numpy().reshape(3), tf["synthesis/16x16/ToRGB/bias"])
    assert np.array_equal(state["style.3.weight"].numpy(), tf["mapping/Dense2/weight"].T)
    assert state["convs.5.noise.weight"].item() == tf["synthesis/32x32/Conv1/noise_strength"]
    assert np.array_equal(state["noises.noise_4"].numpy(), tf["synthesis/noise4"])


def test_pytorch_pickle_gives_the_same_generator(ada_pickle, tf_converted):
    converted = convert_nvidia_pickle(ada_pickle)
    assert converted.keys() == {"g_ema", "latent_avg"}
    assert converted["g_ema"].keys() == tf_converted["g_ema"].keys()
    for key, value in tf_converted["g_ema"].items():
        assert torch.equal(converted["g_ema"][key], value), key
    assert torch.equal(converted["latent_avg"], tf_converted["latent_avg"])


def test_no_code_from_the_pickles_ran(tf_converted, ada_pickle, marker):
    convert_nvidia_pickle(ada_pickle)
    assert not marker.exists()


def test_the_pickles_keep_their_sources_as_text(tf_pickle, ada_pickle, marker):
    gs = safe_load(tf_pickle)[2]
    assert str(marker) in gs.state["build_module_src"]
    g_ema = safe_load(ada_pickle)["G_ema"]
    assert g_ema.class_name == "Generator" and g_ema.state["_modules"]["mapping"].class_name == "MappingNetwork"
    assert not marker.exists()


def test_describe_the_converted_generator(tf_converted):
    line = describe(tf_converted)
    assert "32 px" in line and "3 mapping layers" in line and "4:16, 8:12, 16:10, 32:6" in line
    assert "8 W+ levels" in line


def test_describe_names_the_channel_multiplier_of_config_f():
    with torch.device("meta"):
        state = Generator(GeneratorConfig.standard(1024)).state_dict()
    line = describe({"g_ema": state})
    assert line.startswith("StyleGAN2 generator, 1024 px, 8 mapping layers, channel multiplier 2")
    assert "18 W+ levels, 30.4 M parameters" in line


# ---------------------------------------------------------------------------- networks we cannot run


def test_stylegan3_is_refused_by_name(tmp_path, marker):
    tensors = {
        "mapping.fc0.weight": torch.zeros(4, 4),
        "mapping.w_avg": torch.zeros(4),
        "synthesis.input.freqs": torch.zeros(4, 2),
        "synthesis.L0_36_512.weight": torch.zeros(4, 4, 3, 3),
    }
    path = write_ada_pickle(tmp_path / "stylegan3-t-ffhq-1024x1024.pkl", tensors, marker)
    with pytest.raises(StyleGAN3NotSupported, match="StyleGAN3 \\(alias-free\\)"):
        convert_nvidia_pickle(path)


def test_conditional_generator_is_refused(tmp_path, variables, marker):
    tensors = {**ada_tensors(variables), "mapping.embed.weight": torch.zeros(W_DIM, 10)}
    path = write_ada_pickle(tmp_path / "cifar10.pkl", tensors, marker)
    with pytest.raises(CheckpointError, match="conditional"):
        convert_nvidia_pickle(path)


def test_unknown_variable_is_named(tmp_path, variables, marker):
    extra = {**variables, "synthesis": {**variables["synthesis"], "16x16/Extra/weight": np.zeros(3, np.float32)}}
    path = write_tf_pickle(tmp_path / "odd.pkl", extra, marker, RESOLUTION)
    with pytest.raises(CheckpointError, match="synthesis/16x16/Extra/weight"):
        convert_nvidia_pickle(path)


def test_resnet_generator_is_refused(tmp_path, variables, marker):
    path = write_tf_pickle(tmp_path / "resnet.pkl", variables, marker, RESOLUTION, architecture="resnet")
    with pytest.raises(CheckpointError, match="'resnet'"):
        convert_nvidia_pickle(path)


def test_a_discriminator_alone_is_not_a_generator(tmp_path, marker):
    from tests.stylegan2.nvidia_pickles import Network

    with nvidia_modules():
        data = pickle.dumps(Network("D", {"4x4/Conv/weight": np.ones((3, 3, 4, 4), np.float32)}, {}, {}, ""))
    path = tmp_path / "d.pkl"
    path.write_bytes(data)
    with pytest.raises(CheckpointError, match="not a generator"):
        convert_nvidia_pickle(path)


# ---------------------------------------------------------------------------- pickles that carry code


class RunsShell:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


class RunsEval:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (eval, (f"open({str(self.marker)!r}, 'w').write('x')",))


def test_a_reduce_calling_os_system_is_refused_unrun(tmp_path):
    marker = tmp_path / "system-ran"
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps({"G_ema": RunsShell(marker)}))
    with pytest.raises(PickleRefused, match=r"posix\.system|nt\.system") as info:
        convert_nvidia_pickle(path)
    assert not marker.exists()
    assert "never run" in str(info.value)


def test_builtins_eval_is_refused_unrun(tmp_path):
    marker = tmp_path / "eval-ran"
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps(RunsEval(marker)))
    with pytest.raises(PickleRefused, match=r"builtins\.eval"):
        convert_nvidia_pickle(path)
    assert not marker.exists()


def test_code_hidden_in_a_tensorflow_network_is_refused(tmp_path, variables, marker):
    sneaky = tmp_path / "hidden-ran"
    hidden = {**variables, "": {**variables[""], "dlatent_avg": RunsShell(sneaky)}}
    path = tmp_path / "hidden.pkl"
    with pytest.raises(PickleRefused):
        convert_nvidia_pickle(write_tf_pickle(path, hidden, marker, RESOLUTION))
    assert not sneaky.exists()


def test_code_hidden_in_a_pytorch_network_is_refused(tmp_path, variables, marker):
    from tests.stylegan2.nvidia_pickles import ada_class_names, ada_module

    sneaky = tmp_path / "hidden-ran"
    tensors = ada_tensors(variables)
    g_ema = ada_module(tensors, "", ada_class_names(tensors))
    g_ema.synthesis.b4.conv1.act_gain = RunsShell(sneaky)
    path = tmp_path / "hidden.pkl"
    with nvidia_modules():
        path.write_bytes(pickle.dumps({"G_ema": g_ema}, protocol=4))
    with pytest.raises(PickleRefused, match="system"):
        convert_nvidia_pickle(path)
    assert not sneaky.exists()


class CallsNdarray:
    def __reduce__(self):
        return (np.ndarray, ((2,), "O"))


def test_numpy_ndarray_cannot_be_called_directly(tmp_path):
    path = tmp_path / "call.pkl"
    path.write_bytes(pickle.dumps(CallsNdarray()))
    with pytest.raises(PickleRefused, match=r"direct call of numpy\.ndarray"):
        safe_load(path)


def test_object_arrays_are_refused(tmp_path):
    path = tmp_path / "objects.pkl"
    path.write_bytes(pickle.dumps(np.array([1, "a"], dtype=object)))
    with pytest.raises(PickleRefused, match="Python objects"):
        safe_load(path)


class TensorView:
    """Pickles as PyTorch pickles a tensor, with the view's size given here."""

    def __init__(self, storage, size):
        self.storage, self.size = storage, size

    def __reduce__(self):
        return (torch._utils._rebuild_tensor_v2, (self.storage, 0, self.size, (1,), False, OrderedDict()))


def test_tensors_are_rebuilt_and_one_overrunning_its_storage_is_refused(tmp_path):
    storage = torch.arange(4.0)._typed_storage()  # what Tensor.__reduce_ex__ pickles (storage() warns)
    path = tmp_path / "t.pkl"
    path.write_bytes(pickle.dumps(TensorView(storage, (4,))))
    assert safe_load(path).tolist() == [0.0, 1.0, 2.0, 3.0]
    path.write_bytes(pickle.dumps(TensorView(storage, (1024,))))
    with pytest.raises(PickleRefused, match="overruns its storage"):
        safe_load(path)


def test_a_torch_save_file_is_pointed_elsewhere(tmp_path):
    path = tmp_path / "stylegan2-ffhq-config-f.pt"
    torch.save({"g_ema": {}}, path)
    with pytest.raises(CheckpointError, match="needs no import"):
        convert_nvidia_pickle(path)


def test_a_truncated_pickle_is_a_clear_error(tmp_path, tf_pickle):
    path = tmp_path / "cut.pkl"
    path.write_bytes(tf_pickle.read_bytes()[:5000])
    with pytest.raises(CheckpointError, match="not a readable network pickle"):
        convert_nvidia_pickle(path)


# ---------------------------------------------------------------------------- writing the file


def test_import_writes_atomically_and_refuses_to_overwrite(tmp_path, tf_pickle):
    dest = tmp_path / "cache" / "g.pt"
    result = import_generator(tf_pickle, dest)
    assert result.dest == dest and result.size_bytes == dest.stat().st_size
    assert "TensorFlow" in result.origin and "Gs" in result.origin
    assert sorted(p.name for p in dest.parent.iterdir()) == ["g.pt"]  # no .import.part left
    before = dest.read_bytes()
    with pytest.raises(FileExistsError):
        import_generator(tf_pickle, dest)
    assert dest.read_bytes() == before
    import_generator(tf_pickle, dest, force=True)
    assert load_generator(dest).img_resolution == RESOLUTION


def test_a_failed_import_leaves_nothing_behind(tmp_path):
    bad = tmp_path / "bad.pkl"
    bad.write_bytes(pickle.dumps(RunsEval(tmp_path / "x")))
    dest = tmp_path / "out" / "g.pt"
    with pytest.raises(PickleRefused):
        import_generator(bad, dest)
    assert not dest.exists() and not dest.with_name("g.pt.import.part").exists()
