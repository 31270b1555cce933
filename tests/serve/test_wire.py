"""The JSON both ends of the HTTP hop speak: every value and error comes back as it left."""

from __future__ import annotations

import json

import numpy as np
import pytest

from engine import errors, wire
from engine.photos import AlignmentTransform, FacePlacement, KeptPhoto, decode_kept
from engine.values import EditResult, EditRoute, Instruction, Inverted, LatentState, Method, Progress, Step, StepKind
from tests.core.helpers import jpeg


def through_json(payload):
    return json.loads(json.dumps(payload))


def test_arrays_keep_dtype_shape_and_every_bit():
    rng = np.random.default_rng(0)
    for array in (rng.standard_normal((18, 512)).astype(np.float32), rng.integers(0, 255, (4, 5, 3), dtype=np.uint8),
                  np.array([np.nan, -0.0, np.inf], dtype=np.float32), np.float16([1.5, -2.25])):
        back = wire.array_from_json(through_json(wire.array_to_json(array)))
        assert back.dtype == array.dtype and back.shape == array.shape
        assert back.tobytes() == array.tobytes()
        assert back.flags.writeable


def test_an_array_whose_bytes_do_not_fit_its_shape_is_refused():
    data = wire.array_to_json(np.zeros((2, 3), np.float32))
    data["shape"] = [2, 4]
    with pytest.raises(ValueError, match="needs 32 bytes, got 24"):
        wire.array_from_json(data)


def test_a_state_with_both_kinds_of_step_round_trips():
    state = LatentState(np.ones((14, 512), np.float32), (
        Step(StepKind.W_PLUS, np.full((14, 512), 0.5, np.float32), Method.MAPPER),
        Step(StepKind.STYLE, np.arange(10, dtype=np.float32), Method.GLOBAL_DIRECTION),
        Step(StepKind.W_PLUS, np.zeros((14, 512), np.float32)),
    ))
    back = wire.state_from_json(through_json(wire.state_to_json(state)))
    assert [(s.kind, s.method) for s in back.steps] == [(s.kind, s.method) for s in state.steps]
    assert all(np.array_equal(a.array, b.array) for a, b in zip(back.steps, state.steps, strict=True))
    assert np.array_equal(back.w_plus, state.w_plus)


def test_an_inverted_photo_round_trips_with_its_kept_copy_and_placement():
    rng = np.random.default_rng(1)
    kept_jpeg = jpeg(rng.integers(0, 255, (60, 80, 3), dtype=np.uint8))
    transform = AlignmentTransform(quad=np.array([[10, 5], [10, 45], [50, 45], [50, 5]], float), size=256,
                                   image_size=(80, 60))
    inverted = Inverted(
        w_plus=rng.standard_normal((14, 512)).astype(np.float32),
        aligned=rng.integers(0, 255, (256, 256, 3), dtype=np.uint8),
        notes=("I found 2 faces and used the largest one.",), seconds=0.25,
        photo=KeptPhoto(kept_jpeg, decode_kept(kept_jpeg)),
        placement=FacePlacement(transform, ((0.2, 0.3), (0.5, 0.9), (0.8, 0.3))), faces=2,
    )
    back = wire.inverted_from_json(through_json(wire.inverted_to_json(inverted)))
    assert np.array_equal(back.w_plus, inverted.w_plus)
    assert np.array_equal(back.aligned, inverted.aligned)  # PNG: lossless
    assert back.photo.data == kept_jpeg and back.photo.size == (80, 60)
    assert np.array_equal(back.photo.pixels, inverted.photo.pixels)
    assert back.placement.to_dict() == inverted.placement.to_dict()
    assert (back.notes, back.seconds, back.faces) == (inverted.notes, 0.25, 2)


def test_an_edit_result_round_trips_with_its_route():
    result = EditResult(
        step=Step(StepKind.STYLE, np.linspace(-1, 1, 99, dtype=np.float32), Method.GLOBAL_DIRECTION),
        route=EditRoute(method=Method.GLOBAL_DIRECTION, channels=12, beta=0.15, alpha=4.1, seconds=0.02),
        reason="no mapper for this prompt: a global direction moves 12 channels",
        strength=4.1, prompt="a smiling face", seconds=0.03,
    )
    back = wire.result_from_json(through_json(wire.result_to_json(result)))
    assert back.route == result.route
    assert np.array_equal(back.step.array, result.step.array)
    assert (back.step.kind, back.step.method, back.reason, back.strength, back.prompt) == (
        result.step.kind, result.step.method, result.reason, 4.1, "a smiling face")


def test_progress_keeps_a_missing_loss_and_a_preview():
    preview = np.zeros((32, 32, 3), np.uint8)
    back = wire.progress_from_json(through_json(wire.progress_to_json(Progress(0, 80, float("nan"), preview, 2, 45.0))))
    assert (back.step, back.total, back.queue_position, back.estimated_wait_s) == (0, 80, 2, 45.0)
    assert np.isnan(back.loss) and back.preview.shape == (32, 32, 3)


def test_instructions_round_trip():
    for instruction in (Instruction("curly hair"), Instruction("a face with a beard", "a face", 1.5)):
        assert wire.instruction_from_json(through_json(wire.instruction_to_json(instruction))) == instruction


@pytest.mark.parametrize("error", [
    errors.NoFaceFound("I couldn't find a face in that photo."),
    errors.ImageTooLarge("That file is 50.0 MB; the limit is 40 MB."),
    errors.PromptError("the prompt is empty"),
    errors.NoRoute("no mapper fits"),
    errors.Cancelled("stopped"),
    errors.EngineOutOfMemory("even one did not fit"),
    errors.EngineBusy("the optimisation queue is full", 3, 90.0),
    errors.ModelsNotReady(37.0, "downloading the models"),
    errors.SlowEdit(480.0, 80, "no direction moves enough channels"),
])
def test_errors_are_raised_again_as_the_same_class_with_their_fields(error):
    back = wire.error_from_json(through_json(wire.error_to_json(error)))
    assert type(back) is type(error)
    assert str(back) == str(error)
    assert vars(back) == vars(error)


def test_an_unknown_error_becomes_engine_unavailable_and_statuses_say_whose_fault_it_is():
    back = wire.error_from_json({"type": "ZeroDivisionError", "message": "division by zero"})
    assert isinstance(back, errors.EngineUnavailable)
    assert wire.http_status(errors.NoFaceFound("x")) == 422
    assert wire.http_status(errors.ImageTooLarge("x")) == 413
    assert wire.http_status(errors.EngineBusy("full", 1, 1.0)) == 503
    assert wire.http_status(errors.ModelsNotReady(1, "x")) == 503
    assert wire.http_status(errors.SlowEdit(1, 1, "x")) == 409
    assert wire.http_status(errors.EngineOutOfMemory("x")) == 500
