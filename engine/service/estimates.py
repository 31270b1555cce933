"""How long slow work will take, from step times measured in this process rather than a constant.

An optimization step is timed as it runs; the estimate of a whole optimization is the running average
of those step times times its steps. Before this process has run any optimization on a device, a step
is guessed from the renders measured there: one step draws the image, scores it with CLIP and runs
both backwards, which measured about four renders' time on a 2-core CPU at 1024 px (300 steps in ~48
minutes, renders ~2.4 s; issue 13). Before anything was measured, a fixed guess per device kind is used.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

STEP_PER_RENDER = 4.0  # one optimization step ≈ this many renders (see module docstring)
UNMEASURED_STEP_S = {"cpu": 10.0, "cuda": 0.35}  # used only before any step or render was timed
SMOOTHING = 0.2  # weight of the newest sample in the running average


@dataclass
class _Average:
    value: float
    samples: int = 1

    def add(self, sample: float, weight: float) -> None:
        self.value += weight * (sample - self.value)
        self.samples += 1


class StepTimes:
    """Running averages of seconds per optimization step and per rendered image, per device kind.

    The first sample of each is taken as is; later ones move the average by `smoothing` of the
    difference, so an estimate follows a machine that got busier (or quieter) within a few steps.
    Thread-safe: the device thread records, the event loop reads.
    """

    def __init__(self, smoothing: float = SMOOTHING) -> None:
        if not 0 < smoothing <= 1:
            raise ValueError(f"smoothing must be in (0, 1], got {smoothing}")
        self.smoothing = smoothing
        self._steps: dict[str, _Average] = {}
        self._renders: dict[str, _Average] = {}
        self._lock = threading.Lock()

    def record_step(self, device: str, seconds: float) -> None:
        """One optimization step took `seconds` on `device` ("cpu", "cuda", ...)."""
        self._record(self._steps, device, seconds)

    def record_render(self, device: str, seconds: float, images: int = 1) -> None:
        """A render of `images` images took `seconds`."""
        self._record(self._renders, device, seconds / max(images, 1))

    def step_seconds(self, device: str) -> float:
        """The expected seconds of one optimization step on `device` (see the module docstring)."""
        with self._lock:
            if device in self._steps:
                return self._steps[device].value
            if device in self._renders:
                return STEP_PER_RENDER * self._renders[device].value
        return UNMEASURED_STEP_S.get(device, UNMEASURED_STEP_S["cpu"])

    def measured_steps(self, device: str) -> int:
        with self._lock:
            average = self._steps.get(device)
            return average.samples if average else 0

    def optimization_seconds(self, device: str, steps: int) -> float:
        """The expected seconds of an optimization of `steps` steps on `device`."""
        return steps * self.step_seconds(device)

    def _record(self, table: dict[str, _Average], device: str, seconds: float) -> None:
        if not seconds >= 0:  # NaN or negative: a clock oddity, not a measurement
            return
        with self._lock:
            if device in table:
                table[device].add(seconds, self.smoothing)
            else:
                table[device] = _Average(seconds)
