"""The engine's values and errors as JSON, for the HTTP hop between a bot process and a remote engine.

Both ends import this module: the Ray Serve application (`engine.serve`) encodes what the in-process engine
returns, the bot's `RemoteEngine` decodes it back into the same `engine.values` and `engine.errors` classes,
so the bot core cannot tell the two engines apart. Arrays travel as base64 of their raw little-endian bytes
with dtype and shape (a 1024 px latent is 36 kB); pictures as PNG or JPEG. No torch, no Ray.
"""

from __future__ import annotations

import base64
import io
import math
from typing import Any

import numpy as np
from PIL import Image

from engine import errors
from engine.photos import FacePlacement, KeptPhoto, decode_kept
from engine.values import EditResult, EditRoute, Instruction, Inverted, LatentState, Progress, Step

# The errors that cross the wire, by class name; anything else arrives as `EngineUnavailable`.
_ERRORS: dict[str, type[Exception]] = {
    cls.__name__: cls
    for cls in (
        errors.NotAnImage, errors.DamagedImage, errors.ImageTooLarge, errors.ImageTooSmall, errors.NoFaceFound,
        errors.FaceTooSmall, errors.InversionError, errors.PromptError, errors.NoRoute, errors.Cancelled,
        errors.EngineOutOfMemory, errors.ModelsMissing, errors.EngineUnavailable, errors.EngineError,
    )
}
_SENDER_ERRORS = (errors.InversionError, errors.PromptError, errors.NoRoute)


# ---------------------------------------------------------------------- arrays and pictures


def array_to_json(array: np.ndarray) -> dict[str, Any]:
    a = np.ascontiguousarray(array)
    little = a.astype(a.dtype.newbyteorder("<"), copy=False)
    data = base64.b64encode(little.tobytes()).decode()
    return {"dtype": a.dtype.str.lstrip("<>|="), "shape": list(a.shape), "data": data}


def array_from_json(data: dict[str, Any]) -> np.ndarray:
    dtype = np.dtype(data["dtype"]).newbyteorder("<")
    shape = tuple(int(v) for v in data["shape"])
    raw = base64.b64decode(data["data"])
    if len(raw) != dtype.itemsize * math.prod(shape):
        raise ValueError(f"an array of {shape} {dtype} needs {dtype.itemsize * math.prod(shape)} bytes, got {len(raw)}")
    return np.frombuffer(raw, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))


def encode_picture(image: np.ndarray, kind: str = "png", quality: int = 92) -> bytes:
    """uint8 [H, W, 3] → PNG (lossless, compression level 1: the bytes cross a LAN once) or JPEG bytes."""
    out = io.BytesIO()
    if kind == "png":
        Image.fromarray(image).save(out, format="PNG", compress_level=1)
    elif kind == "jpeg":
        Image.fromarray(image).save(out, format="JPEG", quality=quality)
    else:
        raise ValueError(f"a picture is sent as png or jpeg, not {kind!r}")
    return out.getvalue()


def decode_picture(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("RGB"), dtype=np.uint8)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def unb64(text: str) -> bytes:
    return base64.b64decode(text)


# ---------------------------------------------------------------------- requests


def state_to_json(state: LatentState) -> dict[str, Any]:
    return {
        "w_plus": array_to_json(state.w_plus),
        "steps": [{"kind": s.kind.value, "method": s.method and s.method.value, "array": array_to_json(s.array)}
                  for s in state.steps],
    }


def state_from_json(data: dict[str, Any]) -> LatentState:
    steps = tuple(Step(s["kind"], array_from_json(s["array"]), s.get("method")) for s in data.get("steps", ()))
    return LatentState(array_from_json(data["w_plus"]), steps)


def instruction_to_json(instruction: Instruction) -> dict[str, Any]:
    return {"target": instruction.target, "neutral": instruction.neutral, "strength": instruction.strength}


def instruction_from_json(data: dict[str, Any]) -> Instruction:
    strength = data.get("strength")
    return Instruction(str(data["target"]), data.get("neutral"), None if strength is None else float(strength))


# ---------------------------------------------------------------------- answers


def inverted_to_json(inverted: Inverted) -> dict[str, Any]:
    photo = inverted.photo
    return {
        "w_plus": array_to_json(inverted.w_plus),
        "aligned": b64(encode_picture(inverted.aligned)),
        "notes": list(inverted.notes),
        "seconds": inverted.seconds,
        "photo": None if photo is None else {
            "data": b64(photo.data), "content_type": photo.content_type,
        },
        "placement": None if inverted.placement is None else inverted.placement.to_dict(),
        "faces": inverted.faces,
    }


def inverted_from_json(data: dict[str, Any]) -> Inverted:
    photo = data.get("photo")
    kept = None
    if photo is not None:
        jpeg = unb64(photo["data"])
        kept = KeptPhoto(jpeg, decode_kept(jpeg), photo["content_type"])
    placement = data.get("placement")
    return Inverted(
        w_plus=array_from_json(data["w_plus"]),
        aligned=decode_picture(unb64(data["aligned"])),
        notes=tuple(data.get("notes", ())),
        seconds=float(data["seconds"]),
        photo=kept,
        placement=None if placement is None else FacePlacement.from_dict(placement),
        faces=int(data.get("faces", 1)),
    )


def result_to_json(result: EditResult) -> dict[str, Any]:
    route = result.route
    return {
        "step": {"kind": result.step.kind.value, "method": result.step.method and result.step.method.value,
                 "array": array_to_json(result.step.array)},
        "route": {**{k: getattr(route, k) for k in _ROUTE_FIELDS}, "method": route.method.value},
        "reason": result.reason,
        "strength": result.strength,
        "prompt": result.prompt,
        "seconds": result.seconds,
    }


_ROUTE_FIELDS = ("method", "mapper", "similarity", "channels", "beta", "alpha", "steps", "seconds", "pending_mapper")


def result_from_json(data: dict[str, Any]) -> EditResult:
    step = data["step"]
    return EditResult(
        step=Step(step["kind"], array_from_json(step["array"]), step.get("method")),
        route=EditRoute(**{k: data["route"].get(k) for k in _ROUTE_FIELDS}),
        reason=str(data["reason"]),
        strength=float(data["strength"]),
        prompt=str(data["prompt"]),
        seconds=float(data["seconds"]),
    )


def progress_to_json(progress: Progress) -> dict[str, Any]:
    return {
        "step": progress.step, "total": progress.total,
        "loss": None if math.isnan(progress.loss) else progress.loss,
        "preview": None if progress.preview is None else b64(encode_picture(progress.preview, "jpeg", 85)),
        "queue_position": progress.queue_position, "estimated_wait_s": progress.estimated_wait_s,
    }


def progress_from_json(data: dict[str, Any]) -> Progress:
    preview = data.get("preview")
    loss = data.get("loss")
    return Progress(
        step=int(data["step"]), total=int(data["total"]), loss=float("nan") if loss is None else float(loss),
        preview=None if preview is None else decode_picture(unb64(preview)),
        queue_position=int(data.get("queue_position", 0)), estimated_wait_s=float(data.get("estimated_wait_s", 0.0)),
    )


# ---------------------------------------------------------------------- errors


def error_to_json(exc: BaseException) -> dict[str, Any]:
    """An error the engine raised on purpose, with the fields its class needs to be raised again."""
    body: dict[str, Any] = {"type": type(exc).__name__, "message": str(exc)}
    if isinstance(exc, errors.EngineBusy):
        body |= {"reason": exc.reason, "queue_position": exc.queue_position, "estimated_wait_s": exc.estimated_wait_s}
    elif isinstance(exc, errors.ModelsNotReady):
        body |= {"percent": exc.percent, "stage": exc.stage}
    elif isinstance(exc, errors.SlowEdit):
        body |= {"estimated_s": exc.estimated_s, "steps": exc.steps, "reason": exc.reason}
    return body


def error_from_json(data: dict[str, Any]) -> Exception:
    """The error the engine raised; an unknown kind becomes `EngineUnavailable` with the engine's message."""
    kind, message = data.get("type"), str(data.get("message", ""))
    if kind == "EngineBusy":
        return errors.EngineBusy(data["reason"], int(data["queue_position"]), float(data["estimated_wait_s"]))
    if kind == "ModelsNotReady":
        return errors.ModelsNotReady(float(data["percent"]), str(data["stage"]))
    if kind == "SlowEdit":
        return errors.SlowEdit(float(data["estimated_s"]), int(data["steps"]), str(data["reason"]))
    cls = _ERRORS.get(str(kind))
    if cls is None:
        return errors.EngineUnavailable(f"the engine failed: {kind}: {message}")
    return cls(message)


def http_status(exc: BaseException) -> int:
    """The HTTP status an error is answered with: 422 for the sender's input, 503 for "ask again later"."""
    if isinstance(exc, _SENDER_ERRORS):
        return 413 if isinstance(exc, errors.ImageTooLarge) else 422
    if isinstance(exc, errors.EngineBusy | errors.ModelsNotReady):
        return 503
    if isinstance(exc, errors.SlowEdit):
        return 409
    return 500
