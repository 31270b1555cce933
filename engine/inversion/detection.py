"""Face detection and landmarks, fully offline, behind a small interface.

The default, `DlibDetector`, is what e4e's own alignment uses (`utils/alignment.py`): dlib's HOG
frontal-face detector and its 68-point shape predictor. dlib comes from the `dlib-bin` wheel and
the predictor file from the `face-recognition-models` package, so nothing is downloaded at run
time and numpy 2 keeps working. Another detector only has to implement `FaceDetector.detect`.
"""

from __future__ import annotations

import importlib.util
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np
from PIL import Image

Point = tuple[float, float]


@dataclass(frozen=True)
class FaceLandmarks:
    """The points FFHQ alignment needs, in pixel coordinates (x right, y down) of the image given.

    "Left" and "right" are as seen in the picture (the person's right eye is `eye_left`).
    """

    box: tuple[float, float, float, float]  # x0, y0, x1, y1
    score: float                            # detector confidence; higher is surer
    eye_left: Point                         # centre of the eye on the picture's left
    eye_right: Point
    eye_left_outer: Point                   # outer corners: the tiny-face check measures between them
    eye_right_outer: Point
    mouth_left: Point
    mouth_right: Point
    # The face's outline for the paste-back mask: jaw from ear to ear, then the brows back (iBUG 0-16, 26-17).
    # Empty when the detector gives no such points; the mask then falls back to the FFHQ face oval.
    outline: tuple[Point, ...] = ()

    @property
    def box_area(self) -> float:
        x0, y0, x1, y1 = self.box
        return max(x1 - x0, 0.0) * max(y1 - y0, 0.0)

    @property
    def outer_eye_distance(self) -> float:
        return float(np.hypot(*np.subtract(self.eye_right_outer, self.eye_left_outer)))


@runtime_checkable
class FaceDetector(Protocol):
    """Finds faces in an RGB uint8 image [H, W, 3]; returns every face found, in any order."""

    def detect(self, image: np.ndarray) -> list[FaceLandmarks]: ...


class DetectorUnavailable(RuntimeError):
    """The face detector's package or model file is not installed (a setup problem, not the sender's)."""


def landmarks_from_68(points: np.ndarray, box: tuple[float, float, float, float], score: float) -> FaceLandmarks:
    """The iBUG 68-point layout → FaceLandmarks (eyes 36-41 and 42-47, mouth corners 48 and 54)."""
    points = np.asarray(points, dtype=np.float64)
    if points.shape != (68, 2):
        raise ValueError(f"expected 68 (x, y) landmarks, got shape {list(points.shape)}")

    def pt(p: np.ndarray) -> Point:
        return float(p[0]), float(p[1])

    return FaceLandmarks(
        box=box,
        score=score,
        eye_left=pt(points[36:42].mean(axis=0)),
        eye_right=pt(points[42:48].mean(axis=0)),
        eye_left_outer=pt(points[36]),
        eye_right_outer=pt(points[45]),
        mouth_left=pt(points[48]),
        mouth_right=pt(points[54]),
        outline=tuple(pt(p) for p in np.concatenate([points[0:17], points[26:16:-1]])),
    )


class DlibDetector:
    """dlib HOG face detector + 68-point landmarks (as e4e and the FFHQ dataset script).

    Detection runs on a copy scaled so its longer side is `detect_side` px (at most 2× up, which is
    e4e's one upsampling step); HOG finds faces from ~80 px up in that copy, i.e. from ~5% of the
    longer side. Landmarks are then fitted on the full-resolution image.

    HOG scores: clear frontal faces score about 1 or more; patterns that merely look face-like
    (a helmet's reflection in `skimage.data.astronaut()`) score 0 to 0.25 and move with JPEG
    quality. So when any detection is confident, the weak ones are dropped, and a lone weak one
    is kept (a poorly lit face is better used than refused).

    Args:
        min_score: detections below this HOG score are never returned (dlib's own default is 0).
        confident_score: when a detection reaches this score, every detection below it is dropped.
        detect_side: the longer side of the image the detector sees.
        predictor_path: the 68-point `.dat` file; by default the one `face-recognition-models` ships.
    """

    def __init__(
        self,
        min_score: float = 0.0,
        confident_score: float = 0.5,
        detect_side: int = 1600,
        predictor_path: str | Path | None = None,
    ) -> None:
        try:
            import dlib
        except ImportError as exc:
            raise DetectorUnavailable("face detection needs dlib: pip install dlib-bin") from exc
        path = Path(predictor_path) if predictor_path else _bundled_predictor()
        if not path.is_file():
            raise DetectorUnavailable(f"landmark model not found: {path}")
        self.min_score = min_score
        self.confident_score = confident_score
        self.detect_side = detect_side
        self._detector = dlib.get_frontal_face_detector()
        self._predictor = dlib.shape_predictor(str(path))
        self._rectangle = dlib.rectangle
        self._lock = threading.Lock()  # dlib objects are not documented as thread-safe

    def detect(self, image: np.ndarray) -> list[FaceLandmarks]:
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ValueError(f"expected an RGB uint8 image [H, W, 3], got {image.dtype} {list(image.shape)}")
        image = np.ascontiguousarray(image)
        small, scale = _scaled(image, self.detect_side)
        with self._lock:
            rects, scores, _ = self._detector.run(small, 0, 0.0)
            floor = self.confident_score if any(s >= self.confident_score for s in scores) else self.min_score
            faces = []
            for rect, score in zip(rects, scores, strict=True):
                if score < floor:
                    continue
                box = (rect.left() / scale, rect.top() / scale, (rect.right() + 1) / scale, (rect.bottom() + 1) / scale)
                full = self._rectangle(*(round(v) for v in box))
                shape = self._predictor(image, full)
                points = np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float64)
                faces.append(landmarks_from_68(points, box, float(score)))
        return faces


def _scaled(image: np.ndarray, side: int) -> tuple[np.ndarray, float]:
    """The image resized so its longer side is `side` (never upscaled more than 2×), and the factor."""
    h, w = image.shape[:2]
    scale = min(side / max(h, w), 2.0)
    if abs(scale - 1.0) < 0.05:
        return image, 1.0
    size = (max(round(w * scale), 1), max(round(h * scale), 1))
    resized = Image.fromarray(image).resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0 if scale < 1 else None)
    return np.ascontiguousarray(np.asarray(resized)), scale


def _bundled_predictor() -> Path:
    # Located without importing the package (its __init__ imports pkg_resources).
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise DetectorUnavailable("the 68-point landmark model is missing: pip install face-recognition-models")
    return Path(next(iter(spec.submodule_search_locations))) / "models" / "shape_predictor_68_face_landmarks.dat"


_default: DlibDetector | None = None
_default_lock = threading.Lock()


def default_detector() -> DlibDetector:
    """One shared DlibDetector, built on first use (loading the predictor takes about a second)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = DlibDetector()
        return _default
