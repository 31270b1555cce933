import math
import threading

import pytest
import torch

from engine.editing import (
    CLIPLoss,
    ClipObjective,
    EditCancelled,
    OptimizationSettings,
    TextEncoder,
    lr_schedule,
    optimization_edit,
    optimize_latent,
    render,
)


def pooled_cosine_distance(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """A stand-in identity loss: 1 − cos of 4×4-pooled pixels."""
    a = torch.nn.functional.adaptive_avg_pool2d(y_hat, 4).flatten(1)
    b = torch.nn.functional.adaptive_avg_pool2d(y, 4).flatten(1).detach()
    return (1 - torch.nn.functional.cosine_similarity(a, b, dim=1)).mean()


@pytest.fixture()
def setup(small_generator, clip_model):
    g = small_generator
    w = g.broadcast(g.mapping(torch.randn(1, g.w_dim, generator=torch.Generator().manual_seed(5))))[0]
    text = TextEncoder(clip_model).plain("a face with purple hair")
    return g, w, CLIPLoss(clip_model), text


def test_lr_schedule_is_styleclips():
    assert lr_schedule(0.0, 0.1) == 0.0
    assert lr_schedule(0.025, 0.1) == pytest.approx(0.05)          # half-way through the 5 % warm-up
    assert lr_schedule(0.5, 0.1) == pytest.approx(0.1)
    assert lr_schedule(0.875, 0.1) == pytest.approx(0.05)          # half-way down the last 25 %
    assert lr_schedule(0.99, 0.1) == pytest.approx(0.1 * (0.5 - 0.5 * math.cos(0.04 * math.pi)))


def test_optimization_lowers_clip_loss_and_stays_close(setup):
    g, w, clip_loss, text = setup
    settings = OptimizationSettings(steps=15)
    result = optimize_latent(g, w, clip_loss, text, settings=settings)
    final = clip_loss(g.synthesize(w[None] + result.w_step), text).item()
    start = clip_loss(g.synthesize(w[None]), text).item()
    assert final < start - 0.02
    assert result.clip_losses[-1] < result.clip_losses[0]
    assert result.steps_run == 15 and len(result.losses) == 15
    # the L2 term keeps the latent near the start: a small step relative to the latent itself
    assert result.w_step.norm() < 0.2 * w.norm()
    assert result.w_step.abs().max() > 0


def test_l2_weight_pulls_the_latent_back(setup):
    g, w, clip_loss, text = setup
    loose = optimize_latent(g, w, clip_loss, text, settings=OptimizationSettings(steps=8, l2_lambda=0.0))
    tight = optimize_latent(g, w, clip_loss, text, settings=OptimizationSettings(steps=8, l2_lambda=1.0))
    assert tight.w_step.norm() < loose.w_step.norm()


def test_identity_loss_is_used_against_the_starting_image(setup):
    g, w, clip_loss, text = setup
    seen = []

    def id_loss(y_hat, y):
        seen.append(y)
        return pooled_cosine_distance(y_hat, y)

    settings = OptimizationSettings(steps=4, id_lambda=5.0)
    with_id = optimize_latent(g, w, clip_loss, text, id_loss=id_loss, settings=settings)
    assert len(seen) == 4
    torch.testing.assert_close(seen[0], g.synthesize(w[None]))
    without = optimize_latent(g, w, clip_loss, text, settings=settings)
    assert not torch.allclose(with_id.w_step, without.w_step)
    no_weight = optimize_latent(g, w, clip_loss, text, id_loss=id_loss,
                                settings=OptimizationSettings(steps=4, id_lambda=0.0))
    assert len(seen) == 4   # λ_ID = 0 skips the identity network
    torch.testing.assert_close(no_weight.w_step, without.w_step)


def test_progress_and_cancellation(setup):
    g, w, clip_loss, text = setup
    seen = []
    with pytest.raises(EditCancelled, match="step 3"):
        optimize_latent(g, w, clip_loss, text, settings=OptimizationSettings(steps=10),
                        progress=lambda step, loss: seen.append((step, loss)) or step < 3)
    assert [s for s, _ in seen] == [1, 2, 3] and all(isinstance(v, float) for _, v in seen)
    event = threading.Event()
    event.set()
    with pytest.raises(EditCancelled, match="step 0"):
        optimize_latent(g, w, clip_loss, text, cancel=event)


def test_early_stop_when_clip_loss_stalls(setup):
    g, w, clip_loss, text = setup
    settings = OptimizationSettings(steps=300, lr=0.0, patience=3)   # lr 0: the loss never improves
    result = optimize_latent(g, w, clip_loss, text, settings=settings)
    assert result.stopped_early and result.steps_run == 4
    torch.testing.assert_close(result.w_step, torch.zeros_like(result.w_step))


def test_optimization_edit_renders_the_found_latent(setup):
    g, w, clip_loss, text = setup
    edit = optimization_edit(g, w, ClipObjective(clip_loss, text), settings=OptimizationSettings(steps=5),
                             reason="optimization: test")
    assert edit.method == "optimization" and edit.w_step.shape == w.shape
    torch.testing.assert_close(render(g, w, [edit]), g.synthesize(w[None] + edit.w_step))
