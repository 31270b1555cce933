"""`invert`: a real photo through detection, alignment and a small e4e encoder built here."""

from __future__ import annotations

import io

import numpy as np
import pytest
import skimage.data
import torch
from PIL import Image

from engine.errors import DamagedImage, InversionError, NoFaceFound, NotAnImage
from engine.inversion import Encoder4Editing, WPlusEncoder, crop_to_tensor, invert


@pytest.fixture(scope="module")
def small_encoder() -> WPlusEncoder:
    """e4e for a 32 px generator (8 W+ levels: coarse, middle and fine), random weights, a known latent_avg."""
    torch.manual_seed(0)
    encoder = Encoder4Editing(num_layers=50, stylegan_size=32)
    return WPlusEncoder(encoder, torch.linspace(-1, 1, 512)).eval().requires_grad_(False)


def test_astronaut_is_inverted(small_encoder, detector):
    seen = {}
    hook = small_encoder.register_forward_hook(lambda m, args, out: seen.update(x=args[0], w=out))
    try:
        result = invert(skimage.data.astronaut(), small_encoder, detector=detector)
    finally:
        hook.remove()
    assert result.w_plus.shape == (8, 512) and result.w_plus.dtype == torch.float32
    assert torch.isfinite(result.w_plus).all()
    # The encoder saw the aligned crop, normalised as e4e does, and its output is the latent.
    torch.testing.assert_close(seen["x"], crop_to_tensor(result.aligned), atol=0, rtol=0)
    torch.testing.assert_close(result.w_plus, seen["w"][0], atol=0, rtol=0)
    assert result.aligned.size == (256, 256) and result.faces_found == 1 and result.notes == []
    assert result.transform.image_size == (512, 512)
    assert set(result.timings) == {"read", "detect", "warp", "encode", "total"}
    assert all(t >= 0 for t in result.timings.values())


def test_crop_to_tensor_is_e4e_normalisation():
    pixels = np.array([[[0, 255, 128]]], dtype=np.uint8).repeat(2, axis=0).repeat(2, axis=1)
    x = crop_to_tensor(Image.fromarray(pixels))
    assert x.shape == (1, 3, 2, 2)
    torch.testing.assert_close(x[0, :, 0, 0], torch.tensor([-1.0, 1.0, 128 / 127.5 - 1]))


def test_bad_inputs_fail_with_one_error_type(small_encoder, detector, tmp_path):
    fake = tmp_path / "photo.jpg"
    fake.write_text("hello")
    buf = io.BytesIO()
    Image.fromarray(skimage.data.astronaut()).save(buf, format="JPEG")
    truncated = buf.getvalue()[:5000]
    cases = [(skimage.data.chelsea(), NoFaceFound), (fake, NotAnImage), (truncated, DamagedImage)]
    for source, error in cases:
        with pytest.raises(error) as info:
            invert(source, small_encoder, detector=detector)
        assert isinstance(info.value, InversionError) and str(info.value)
