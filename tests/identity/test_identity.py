"""ArcFace IR-SE50 and StyleCLIP's identity loss against the `arcface_irse50` conformance vectors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.identity import Backbone, IdentityWeightsError, IDLoss, backbone_from_state_dict, load_id_network
from tests.manifests import state_dict_from_manifest as load_state_dict
from tests.manifests import vectors as load_vectors


@pytest.fixture(scope="module")
def state() -> dict[str, torch.Tensor]:
    return load_state_dict("arcface_irse50")


@pytest.fixture(scope="module")
def ref() -> dict[str, np.ndarray]:
    return load_vectors("arcface_irse50")


@pytest.fixture(scope="module")
def weights_file(state, tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("arcface") / "model_ir_se50.pth"
    torch.save(state, path)
    return str(path)


@pytest.fixture(scope="module")
def id_loss(weights_file) -> IDLoss:
    return IDLoss(load_id_network(weights_file))


def _close(actual: torch.Tensor, expected: np.ndarray, atol: float, rtol: float = 0.0) -> None:
    np.testing.assert_allclose(actual.detach().numpy(), expected, atol=atol, rtol=rtol)


@pytest.fixture(scope="module")
def reference_pass(id_loss, ref) -> dict[str, torch.Tensor]:
    """One `extract_feats` run on the reference images, with the intermediates caught by hooks."""
    seen: dict[str, torch.Tensor] = {}
    net = id_loss.facenet
    hooks = [
        net.input_layer.register_forward_pre_hook(lambda m, args: seen.__setitem__("face_112", args[0])),
        net.body.register_forward_hook(lambda m, args, out: seen.__setitem__("body_out", out)),
        net.output_layer.register_forward_hook(lambda m, args, out: seen.__setitem__("pre_l2", out)),
    ]
    try:
        with torch.no_grad():
            seen["feats"] = id_loss.extract_feats(torch.from_numpy(ref["images"]))
    finally:
        for hook in hooks:
            hook.remove()
    return seen


def test_intermediates_match_reference(reference_pass, ref):
    _close(reference_pass["face_112"], ref["face_112"], atol=1e-6)
    _close(reference_pass["body_out"], ref["body_out"], atol=1e-4, rtol=1e-4)
    _close(reference_pass["pre_l2"], ref["pre_l2"], atol=1e-4, rtol=1e-4)


def test_features_are_unit_embeddings_matching_reference(reference_pass, ref):
    feats = reference_pass["feats"]
    _close(feats, ref["feats"], atol=1e-5)
    _close(feats.norm(dim=1), np.ones(2, dtype=np.float32), atol=1e-6)


def test_batch_loss_divides_by_batch_size(id_loss, ref):
    images = torch.from_numpy(ref["images"])
    with torch.no_grad():
        loss = id_loss(images[[0, 1]], images[[1, 1]])
    assert isinstance(loss, torch.Tensor) and loss.ndim == 0
    _close(loss, ref["id_loss_batch_mixed"], atol=1e-5)


def test_float64_matches_float64_reference(state, ref):
    network = backbone_from_state_dict(state).double()
    with torch.no_grad():
        feats = IDLoss(network).extract_feats(torch.from_numpy(ref["images"]).double())
    _close(feats, ref["feats_f64"], atol=1e-9)
    pair = 1 - (feats[0] * feats[1]).sum()
    _close(pair, ref["id_loss_pair_f64"], atol=1e-9)


def test_pair_loss_matches_reference_and_gradient_reaches_y_hat_only(id_loss, ref):
    images = torch.from_numpy(ref["images"])
    y_hat = images[:1].clone().requires_grad_(True)
    y = images[1:].clone().requires_grad_(True)
    loss = id_loss(y_hat, y)
    _close(loss, ref["id_loss_pair"], atol=1e-5)
    loss.backward()
    assert y_hat.grad is not None and y_hat.grad.abs().sum() > 0
    assert y.grad is None
    assert all(p.grad is None for p in id_loss.parameters())


def test_1024_input_is_box_pooled_to_256(id_loss, ref):
    small = torch.from_numpy(ref["images"][:1])
    big = small.repeat_interleave(4, dim=2).repeat_interleave(4, dim=3)
    torch.testing.assert_close(id_loss.face_crop(big), id_loss.face_crop(small), atol=1e-6, rtol=0)


def test_loaded_network_is_frozen_and_stays_in_eval(id_loss):
    assert not id_loss.facenet.training
    assert not any(p.requires_grad for p in id_loss.facenet.parameters())
    id_loss.train()  # e.g. a parent module put in training mode
    try:
        assert not any(m.training for m in id_loss.facenet.modules())
    finally:
        id_loss.eval()


def test_num_batches_tracked_is_optional(state, tmp_path):
    path = tmp_path / "model_ir_se50.pth"
    torch.save({k: v for k, v in state.items() if not k.endswith("num_batches_tracked")}, path)
    loaded = load_id_network(path).state_dict()
    assert set(loaded) == set(state)
    assert all(torch.equal(loaded[k].reshape(-1), v.reshape(-1)) for k, v in state.items() if v.is_floating_point())


def test_unknown_and_missing_keys_are_named(state, tmp_path):
    bad = dict(state)
    del bad["output_layer.3.weight"]
    bad["module.extra"] = torch.zeros(1)
    path = tmp_path / "bad.pth"
    torch.save(bad, path)
    with pytest.raises(IdentityWeightsError) as info:
        load_id_network(path)
    message = str(info.value)
    assert str(path) in message and "output_layer.3.weight" in message and "module.extra" in message


def test_wrong_shape_is_named(state, tmp_path):
    bad = dict(state)
    bad["output_layer.3.weight"] = torch.zeros(512, 100)
    path = tmp_path / "bad.pth"
    torch.save(bad, path)
    with pytest.raises(IdentityWeightsError, match=r"output_layer\.3\.weight \[512, 100\]"):
        load_id_network(path)


def test_truncated_and_missing_files_raise_clearly(weights_file, tmp_path):
    path = tmp_path / "cut.pth"
    with open(weights_file, "rb") as f:
        path.write_bytes(f.read(100_000))
    with pytest.raises(IdentityWeightsError, match="truncated or corrupt"):
        load_id_network(path)
    with pytest.raises(IdentityWeightsError, match="no such file"):
        load_id_network(tmp_path / "absent.pth")


def test_backbone_rejects_other_configurations():
    with pytest.raises(ValueError, match="input_size"):
        Backbone(input_size=224)


def test_the_editing_package_loads_the_same_network(weights_file, reference_pass, ref):
    from engine.editing import load_id_network as load_for_editing

    with torch.no_grad():
        feats = IDLoss(load_for_editing(weights_file)).extract_feats(torch.from_numpy(ref["images"]))
    torch.testing.assert_close(feats, reference_pass["feats"], rtol=0, atol=0)
