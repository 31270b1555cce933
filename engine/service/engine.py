"""The engine as a service: one set of models per process, shared by every chat.

The chat side speaks numpy and bytes, never tensors: a session state is the photo's W+ latent plus
the active steps (`Step`), each a float32 array as the session store keeps it. Three async calls:

- `invert(photo)`: find, align and encode the face → the W+ latent and the aligned crop;
- `edit(state, instruction)`: route and compute one more step (mapper, global direction, or a slow
  optimization with progress) → the step and the router's reason;
- `render(state)`: the image of a state, full size or a cheap preview.

Device work never runs on the event loop. Renders (and so every mapper or global-direction result,
which the chat renders next) and encodes from different chats that arrive within a few ms share one
device pass; optimizations run in their own lane and give way to those at every step.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import torch

from engine.editing import Edit, Route, apply_edits
from engine.editing.optimization import EditCancelled
from engine.errors import Cancelled, ModelsNotReady, SlowEdit
from engine.identity import identity_embeddings
from engine.images import to_uint8
from engine.inversion import AlignedFace, align_face, crop_to_tensor
from engine.photos import FacePlacement, ImageLimits, keep_photo
from engine.service.batcher import MicroBatcher
from engine.service.estimates import StepTimes
from engine.service.lane import JobContext, SlowLane
from engine.service.models import ModelSet
from engine.service.prepare import Preparation
from engine.service.scheduler import DeviceScheduler
from engine.values import (
    EditResult,
    EditRoute,
    Instruction,
    Inverted,
    LatentState,
    Method,
    MethodChoice,
    Progress,
    ProgressCallback,
    Step,
    StepKind,
)

log = logging.getLogger(__name__)

@dataclass(frozen=True)
class _Routed:
    """What the edit queue gives back per request: the route, and the edit itself unless it is an
    optimization (those run in the slow lane)."""

    route: Route
    edit: Edit | None = None


Precision = Literal["fp16", "bf16"]
_AUTOCAST_DTYPES = {"fp16": torch.float16, "bf16": torch.bfloat16}


def default_max_batch() -> int:
    """Batch on a GPU. On a CPU a batch is hardly faster per image and every chat in it waits for the
    whole batch (benchmarks/engine_service.py, 1024 px, 2 cores, 4 chats: 0.27 edits/s and p50 14.9 s
    batched, 0.23 edits/s and p50 11.0 s one at a time), so there one at a time is the default."""
    return 8 if torch.cuda.is_available() else 1


@dataclass(frozen=True)
class EngineConfig:
    max_batch: int = field(default_factory=default_max_batch)  # renders / encodes in one device pass
    max_wait_s: float = 0.005          # how long a request waits for company
    max_queue: int = 64                # waiting fast requests before callers get EngineBusy
    max_per_caller: int = 4            # waiting fast requests per caller
    slow_concurrent: int = 1           # optimizations running at once
    slow_queue: int = 16               # optimizations waiting
    preview_resolution: int = 256
    preview_every: int = 20            # optimization steps between progress previews (0: none)
    ask_above_s: float = 120.0         # `ask_first`: an optimization expected to take longer is asked about
    autocast: Precision | None = None  # "fp16" / "bf16": renders and fast edits under torch.autocast
    limits: ImageLimits = field(default_factory=ImageLimits)


class Engine:
    """One per process; every adapter shares it. Models load on first use, with `start()`, or in the
    background with `start(wait=False)`: meanwhile every call raises `ModelsNotReady` with the
    percent and stage that `preparation` reports, so the chat can answer at once."""

    def __init__(
        self,
        load: Callable[[], ModelSet],
        config: EngineConfig | None = None,
        preparation: Preparation | None = None,
    ) -> None:
        self.config = config or EngineConfig()
        self._load = load
        self._models: ModelSet | None = None
        self._load_lock = threading.Lock()
        self.preparation = preparation or Preparation()
        self._loader: threading.Thread | None = None
        self._load_error: BaseException | None = None
        cfg = self.config
        self.scheduler = DeviceScheduler()
        self._device_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="engine-device")
        self._cpu_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="engine-cpu")
        limits = dict(max_batch=cfg.max_batch, max_wait_s=cfg.max_wait_s, max_queue=cfg.max_queue,
                      max_per_caller=cfg.max_per_caller)
        self._renders = MicroBatcher("render", self._render_batch, self._device_pool, self.scheduler, **limits)
        self._encodes = MicroBatcher("photo", self._encode_batch, self._device_pool, self.scheduler, **limits)
        self._edits = MicroBatcher("edit", self._edit_batch, self._device_pool, self.scheduler, **limits)
        self._identities = MicroBatcher("identity", self._identity_batch, self._device_pool, self.scheduler, **limits)
        self.estimates = StepTimes()
        self._slow = SlowLane(self.scheduler, cfg.slow_concurrent, cfg.slow_queue,
                              job_seconds=self.estimated_optimization_s)

    # ------------------------------------------------------------------ models

    @property
    def models(self) -> ModelSet:
        """The models, loaded on first use (thread-safe; call from a worker thread, it may take a while)."""
        if self._models is None:
            with self._load_lock:
                if self._models is None:
                    start = time.monotonic()
                    self._models = self._load()
                    self._models.editor.warm_up()
                    log.info("models loaded on %s in %.1f s%s", self._models.device, time.monotonic() - start,
                             " (demo: random weights)" if self._models.demo else "")
        return self._models

    async def start(self, wait: bool = True) -> ModelSet | None:
        """Load the models now, off the event loop.

        Args:
            wait: False = begin loading in a background thread and return None at once (the models when
                they are already loaded); calls made meanwhile raise `ModelsNotReady`.
        """
        if self._models is not None:
            return self._models
        if not wait:
            self.load_in_background()
            return None
        if self._loader is not None:
            while self._loader.is_alive():  # polled, not joined in a worker: quitting mid-download stays instant
                await asyncio.sleep(0.1)
            return self.ready()
        return await asyncio.get_running_loop().run_in_executor(self._cpu_pool, lambda: self.models)

    def load_in_background(self) -> None:
        """Begin loading the models in a thread (once); meanwhile every call raises `ModelsNotReady`."""
        if self._loader is None and self._models is None:
            self._loader = threading.Thread(target=self._load_in_background, name="engine-load", daemon=True)
            self._loader.start()

    def ready(self) -> ModelSet | None:
        """The models if loaded; None if loading has not begun (the first call then loads them).

        Raises:
            ModelsNotReady: they are being loaded in the background.
            ModelsMissing: (or whatever stopped it) the background load failed.
        """
        if self._models is not None:
            return self._models
        if self._load_error is not None:
            raise self._load_error
        if self._loader is not None:
            stage, percent = self.preparation.snapshot()
            raise ModelsNotReady(percent, stage)
        return None

    async def generator_name(self) -> str:
        """What sessions record as their generator: "demo-64" for demo models, else "stylegan2-ffhq-1024".

        Raises:
            ModelsNotReady: the models are still loading in the background.
        """
        models = self.ready() or await self.start()
        prefix = "demo" if models.demo else "stylegan2-ffhq"
        return f"{prefix}-{models.generator.img_resolution}"

    def _load_in_background(self) -> None:
        try:
            _ = self.models
        except BaseException as exc:  # kept for every later call to raise, as a foreground load would
            log.error("the models could not be loaded: %s", exc)
            self._load_error = exc

    async def close(self) -> None:
        for batcher in (self._renders, self._encodes, self._edits, self._identities):
            await batcher.close()
        self._slow.close()
        self._device_pool.shutdown(wait=False, cancel_futures=True)
        self._cpu_pool.shutdown(wait=False, cancel_futures=True)

    # ------------------------------------------------------------------ public calls

    async def invert(self, photo: bytes, caller: Hashable) -> Inverted:
        """Find, align and encode the largest face of `photo`.

        Raises:
            InversionError: (a subclass) the photo cannot be used; its message is for the sender.
            EngineBusy: too many requests are waiting.
        """
        self.ready()
        start = time.monotonic()
        loop = asyncio.get_running_loop()
        face = await loop.run_in_executor(self._cpu_pool, self._align, photo)
        kept = loop.run_in_executor(self._cpu_pool, keep_photo, photo)  # meanwhile: the copy to keep
        w_plus = await self._encodes.submit(face, caller)
        copy = await kept
        placement = FacePlacement.of(face.transform, face.landmarks.outline).resized(copy.size)
        return Inverted(w_plus, np.asarray(face.image, dtype=np.uint8), tuple(face.notes), time.monotonic() - start,
                        copy, placement, face.faces_found)

    async def identity(self, face: np.ndarray, caller: Hashable) -> np.ndarray | None:
        """The unit ArcFace embedding [512] of an aligned face (uint8 [H, W, 3]); None without ArcFace."""
        if self.models.editor.id_loss is None:
            return None
        return await self._identities.submit(face, caller)

    async def edit(
        self,
        state: LatentState,
        instruction: Instruction,
        caller: Hashable,
        *,
        method: MethodChoice = "auto",
        on_progress: ProgressCallback | None = None,
        ask_first: bool = False,
    ) -> EditResult:
        """Route `instruction` and compute its step at the current image of `state`.

        Mapper and global-direction edits take milliseconds; an optimization runs in the slow lane,
        reports `Progress` to `on_progress` (called on the event loop), and stops when the awaiting
        task is cancelled. With `ask_first`, an optimization expected to take more than
        `EngineConfig.ask_above_s` on a CPU is not started: `SlowEdit` says how long it would take.

        Raises:
            SlowEdit: `ask_first` and only a long optimization fits.
            PromptError: the prompt is empty or too long for CLIP.
            NoRoute: `method` insists on a method that cannot serve this prompt.
            EngineBusy: the queue (or this caller's share of it) is full.
            Cancelled: the optimization was cancelled.
        """
        self.ready()
        start = time.monotonic()
        routed: _Routed = await self._edits.submit((state, instruction, method), caller)
        if routed.edit is not None:
            return self._result(routed.edit, routed.route, start)
        if ask_first and self.models.device.type == "cpu":
            estimate = self.estimated_optimization_s()
            if estimate > self.config.ask_above_s:
                raise SlowEdit(estimate, self.models.editor.settings.steps, routed.route.reason)
        job = self._slow.submit(lambda ctx: self._optimize(ctx, state, instruction, routed.route), caller)
        if job.queue_position and on_progress is not None:
            total = self.models.editor.settings.steps
            on_progress(Progress(0, total, float("nan"), None, job.queue_position, job.estimated_wait_s))
        try:
            async for update in job.progress():
                if on_progress is not None:
                    on_progress(update)
            edit, steps_run = await job.result()
        except asyncio.CancelledError:
            job.cancel()
            with contextlib.suppress(Exception):  # returns once the optimization has stopped
                await job.result()
            raise
        return self._result(edit, routed.route, start, steps=steps_run)

    async def render(self, state: LatentState, caller: Hashable, *, preview: bool = False) -> np.ndarray:
        """The image of `state`: uint8 [H, W, 3], full size or `preview_resolution`."""
        self.ready()
        return await self._renders.submit((state, preview), caller)

    def estimated_optimization_s(self) -> float:
        """How long one optimization is expected to take on this engine's device (`StepTimes`)."""
        m = self.models
        return self.estimates.optimization_seconds(m.device.type, m.editor.settings.steps)

    @property
    def batch_sizes(self) -> dict[str, list[int]]:
        """Batch sizes formed so far per queue (for benchmarks and tests)."""
        return {b.name: list(b.stats.batch_sizes) for b in (self._renders, self._encodes, self._edits)}

    # ------------------------------------------------------------------ worker-thread side

    def _align(self, photo: bytes) -> AlignedFace:
        return align_face(photo, self.models.detector, limits=self.config.limits)

    @torch.no_grad()
    def _encode_batch(self, faces: list[AlignedFace]) -> list[np.ndarray]:
        m = self.models
        crops = torch.cat([crop_to_tensor(face.image) for face in faces]).to(m.device)
        w_plus = m.encoder(crops).float().cpu().numpy()
        return list(w_plus)

    def _identity_batch(self, faces: list[np.ndarray]) -> list[np.ndarray]:
        return identity_embeddings(self.models.editor.id_loss, faces, self.models.device)

    @torch.no_grad()
    def _render_batch(self, items: list[tuple[LatentState, bool]]) -> list[np.ndarray]:
        m = self.models
        out: list[np.ndarray | None] = [None] * len(items)
        for preview in (False, True):
            group = [i for i, (_, p) in enumerate(items) if p == preview]
            if not group:
                continue
            styles = [self._styles(items[i][0]) for i in group]
            batch = [torch.cat(layer) for layer in zip(*styles, strict=True)]
            top = min(self.config.preview_resolution, m.generator.img_resolution) if preview else None
            started = time.monotonic()
            with self._precision():
                images = to_uint8(m.generator.synthesize_from_styles(batch, max_resolution=top))
            if not preview:
                self.estimates.record_render(m.device.type, time.monotonic() - started, len(group))
            for i, image in zip(group, images, strict=True):
                out[i] = image
        return out

    @torch.no_grad()
    def _edit_batch(self, items: list[tuple[LatentState, Instruction, MethodChoice]]) -> list[_Routed]:
        """Route each request; compute mapper and global-direction steps (optimizations only get routed)."""
        editor = self.models.editor
        results: list[_Routed] = []
        for state, instruction, method in items:
            with self._precision():  # CLIP's text tower (routing, directions) and the mapper
                route = editor.route(instruction, method)
                if route.method is Method.OPTIMIZATION:
                    results.append(_Routed(route))
                    continue
                edit = editor.apply(self._current_w_plus(state), instruction, route)
            results.append(_Routed(route, edit))
        return results

    def _precision(self) -> contextlib.AbstractContextManager:
        """torch.autocast at `EngineConfig.autocast` (benchmarks/precision.py measures what it changes)."""
        if self.config.autocast is None:
            return contextlib.nullcontext()
        return torch.autocast(self.models.device.type, dtype=_AUTOCAST_DTYPES[self.config.autocast])

    def _optimize(
        self, ctx: JobContext, state: LatentState, instruction: Instruction, route: Route
    ) -> tuple[Edit, int]:
        """Run in the slow lane: hold the device, giving way to fast work after every step."""
        m = self.models
        total, every = m.editor.settings.steps, self.config.preview_every
        snapshots: dict[int, torch.Tensor] = {}
        steps_run = 0
        last = time.monotonic()

        def on_image(step: int, image: torch.Tensor) -> None:
            if every and step % every == 0 and step < total:
                snapshots[step] = image

        def progress(step: int, loss: float) -> bool:
            nonlocal steps_run, last
            now = time.monotonic()
            self.estimates.record_step(m.device.type, now - last)
            steps_run = step
            image = snapshots.pop(step, None)
            ctx.report(Progress(step, total, loss, None if image is None else self._small(image)))
            ctx.yield_device()
            last = time.monotonic()  # time given to fast work in between is not the step's
            return not ctx.cancelled

        w_plus = self._current_w_plus(state)
        try:
            with ctx.hold():
                edit = m.editor.apply(w_plus, instruction, route, progress=progress, cancel=ctx.cancel_event,
                                      on_image=on_image)
        except EditCancelled as exc:
            raise Cancelled("the optimization was cancelled") from exc
        return edit, steps_run

    def _small(self, image: torch.Tensor) -> np.ndarray:
        """A preview-sized uint8 copy of one generator image [1, 3, H, W]."""
        side = min(self.config.preview_resolution, image.shape[-1])
        return to_uint8(torch.nn.functional.adaptive_avg_pool2d(image[:1].float(), side))[0]

    # ------------------------------------------------------------------ state → tensors

    def _current_w_plus(self, state: LatentState) -> torch.Tensor:
        """The W+ latent the next edit starts from: the photo's plus every W+ step."""
        w = self._tensor(state.w_plus)
        for step in state.steps:
            if step.kind is StepKind.W_PLUS:
                w = w + self._tensor(step.array)
        return w

    def _styles(self, state: LatentState) -> list[torch.Tensor]:
        """Style vectors [1, C] per layer of a state (W+ steps, then StyleSpace steps)."""
        edits = [self._as_edit(step) for step in state.steps]
        _, styles = apply_edits(self.models.generator, self._tensor(state.w_plus), edits)
        return styles

    def _tensor(self, array: np.ndarray) -> torch.Tensor:
        """A float32 array from the chat side, on the engine's device."""
        return torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32)).to(self.models.device)

    def _as_edit(self, step: Step) -> Edit:
        array = self._tensor(step.array)
        if step.kind is StepKind.W_PLUS:  # a W+ step of unknown origin is drawn the same whatever made it
            return Edit(step.method or Method.OPTIMIZATION, "", w_step=array)
        return Edit(Method.GLOBAL_DIRECTION, "", style_step=tuple(split_styles(self.models.generator, array)))

    def _result(self, edit: Edit, route: Route, start: float, steps: int | None = None) -> EditResult:
        if edit.w_step is not None:
            step = Step(StepKind.W_PLUS, (edit.strength * edit.w_step).float().cpu().numpy(), edit.method)
        else:
            step = Step(StepKind.STYLE, join_styles(self.models.generator, edit.style_step, edit.strength), edit.method)
        seconds = time.monotonic() - start
        facts = EditRoute(
            method=edit.method, mapper=route.mapper, similarity=route.similarity, channels=route.num_channels,
            beta=route.beta, alpha=edit.strength, steps=steps, seconds=seconds,
            pending_mapper=edit.pending_mapper or route.pending_mapper,
        )
        return EditResult(step, facts, edit.reason, edit.strength, edit.prompt, seconds)


def split_styles(generator, flat: torch.Tensor) -> list[torch.Tensor]:
    """A concatenated StyleSpace step → one [C] tensor per layer."""
    sizes = [layer.channels for layer in generator.style_layers]
    if flat.ndim != 1 or flat.numel() != sum(sizes):
        raise ValueError(f"a StyleSpace step has {sum(sizes)} channels for this generator, got {list(flat.shape)}")
    return list(torch.split(flat, sizes))


def join_styles(generator, per_layer: Sequence[torch.Tensor | None], strength: float) -> np.ndarray:
    """Per-layer StyleSpace offsets (None = untouched) × strength → one float32 vector."""
    parts = [
        np.zeros(layer.channels, np.float32) if d is None else (strength * d).float().cpu().numpy()
        for layer, d in zip(generator.style_layers, per_layer, strict=True)
    ]
    return np.concatenate(parts).astype(np.float32)
