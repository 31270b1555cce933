"""Where an aligned face crop lies in the photo it came from: the affine map both ways, as plain numbers.

Alignment (engine.inversion.alignment) makes it; paste-back uses it to put an edited crop back; the session
store keeps it as JSON. No torch, no detector: a thin bot process reads it too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class AlignmentTransform:
    """Where the aligned crop lies in the original photo.

    `quad` [4, 2] holds the photo coordinates (x, y; pixel centres at integers) of the crop's
    top-left, bottom-left, bottom-right and top-right corners (continuous corners, 0 and `size`).
    The square is a rotated, scaled copy of the crop: the map is affine.
    """

    quad: np.ndarray
    size: int
    image_size: tuple[int, int]  # (width, height) of the original photo

    def crop_to_image(self, points: np.ndarray) -> np.ndarray:
        """[K, 2] crop pixel coordinates → photo pixel coordinates."""
        return _apply(self.crop_to_image_matrix(), points)

    def image_to_crop(self, points: np.ndarray) -> np.ndarray:
        """[K, 2] photo pixel coordinates → crop pixel coordinates."""
        return _apply(self.image_to_crop_matrix(), points)

    def crop_to_image_matrix(self) -> np.ndarray:
        """The 2×3 affine matrix from crop pixel coordinates to photo pixel coordinates."""
        q = np.asarray(self.quad, dtype=np.float64)
        ex = (q[3] - q[0]) / self.size  # one crop pixel to the right
        ey = (q[1] - q[0]) / self.size  # one crop pixel down
        origin = q[0] + 0.5 * (ex + ey)  # centre of crop pixel (0, 0)
        return np.stack([ex, ey, origin], axis=1)

    def image_to_crop_matrix(self) -> np.ndarray:
        m = np.vstack([self.crop_to_image_matrix(), [0.0, 0.0, 1.0]])
        return np.linalg.inv(m)[:2]

    def resized(self, image_size: tuple[int, int]) -> AlignmentTransform:
        """The same square in a resized copy of the photo (`image_size` = the copy's width, height)."""
        sx, sy = image_size[0] / self.image_size[0], image_size[1] / self.image_size[1]
        # Continuous coordinates scale; pixel centres sit at +0.5 of them.
        quad = (np.asarray(self.quad, dtype=np.float64) + 0.5) * [sx, sy] - 0.5
        return AlignmentTransform(quad=quad, size=self.size, image_size=(int(image_size[0]), int(image_size[1])))

    def to_dict(self) -> dict:
        """Plain numbers (JSON-ready); `from_dict` reads them back."""
        return {"quad": np.asarray(self.quad, dtype=np.float64).tolist(), "size": int(self.size),
                "image_size": [int(v) for v in self.image_size]}

    @classmethod
    def from_dict(cls, data: dict) -> AlignmentTransform:
        quad = np.asarray(data["quad"], dtype=np.float64)
        if quad.shape != (4, 2) or not np.isfinite(quad).all():
            raise ValueError(f"an alignment quad is 4 finite (x, y) points, got {quad.tolist()!r}")
        width, height = (int(v) for v in data["image_size"])
        return cls(quad=quad, size=int(data["size"]), image_size=(width, height))

    @property
    def angle_degrees(self) -> float:
        """Rotation of the crop's x axis in the photo (counter-clockwise positive, y pointing down)."""
        ex = self.quad[3] - self.quad[0]
        return float(np.degrees(np.arctan2(-ex[1], ex[0])))

    @property
    def scale(self) -> float:
        """Photo pixels per crop pixel."""
        return float(np.hypot(*(self.quad[3] - self.quad[0])) / self.size)

def _apply(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    return points @ matrix[:, :2].T + matrix[:, 2]

