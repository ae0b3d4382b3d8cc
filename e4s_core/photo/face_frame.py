"""The face's own frame and outlines, from dlib's 68 landmarks at 512 px.

``u`` runs along the eyes (to the photo's right), ``v`` down the face from the eyes' midpoint, both
in pixels; ``up`` points to the forehead. The parser and its detectors measure in this frame, so
a tilted face is handled like an upright one.
"""

from __future__ import annotations

import numpy as np

FOREHEAD_SCALE = 0.55  # forehead arc height above the brows, in brow-to-chin distances
# Half widths of the nose at dlib's points 27 (between the eyes) and 29, in nostril-base widths:
# the bridge meets the eye sockets about half as wide as the alae, as hand annotations draw it.
NOSE_BRIDGE = (0.25, 0.35)


class FaceFrame:
    """The landmark geometry at 512 px: face frame (x right, ``up`` to the forehead) and outlines."""

    def __init__(self, lm: np.ndarray):
        self.lm = lm  # [68, 2] x, y at 512 px
        self.eye_l, self.eye_r = lm[36:42].mean(0), lm[42:48].mean(0)
        eye_vec = self.eye_r - self.eye_l
        self.eye_dist = float(np.hypot(*eye_vec))
        self.x = eye_vec / self.eye_dist
        self.up = np.array([self.x[1], -self.x[0]])
        self.eye_mid = (self.eye_l + self.eye_r) / 2
        self.face_w = float(np.hypot(*(lm[16] - lm[0])))
        self.eye_w = float(np.hypot(*(lm[39] - lm[36])) + np.hypot(*(lm[45] - lm[42]))) / 2
        self.brow_v = float(self.v(lm[17:27]).min())  # v grows downwards: the highest brow point
        self.nose_v, self.chin_v = float(self.v(lm[30])), float(self.v(lm[8]))
        self.height = self.chin_v - self.brow_v  # brow to chin: the unit of vertical distances
        self.brow_thickness = 0.25 * self.eye_w

    def u(self, points: np.ndarray) -> np.ndarray:
        return (points - self.eye_mid) @ self.x

    def v(self, points: np.ndarray) -> np.ndarray:
        return -(points - self.eye_mid) @ self.up

    def point(self, u, v) -> np.ndarray:
        """Face-frame coordinates -> image x, y (accepts arrays, returns [..., 2])."""
        u, v = np.broadcast_arrays(np.asarray(u, float), np.asarray(v, float))
        return self.eye_mid + u[..., None] * self.x - v[..., None] * self.up

    def outline(self, forehead_scale: float) -> np.ndarray:
        """Jaw 0-16 closed by a half ellipse ``forehead_scale`` x brow-to-chin above the brows."""
        jaw = self.lm[0:17]
        u0, u1 = self.u(jaw[[0, 16]])
        v0, v1 = self.v(jaw[[0, 16]])
        vc, top = (v0 + v1) / 2, self.brow_v - forehead_scale * self.height
        theta = np.linspace(0, np.pi, 25)[1:-1]
        arc = self.point((u0 + u1) / 2 + (u1 - u0) / 2 * np.cos(theta), vc - (vc - top) * np.sin(theta))
        return np.concatenate([jaw, arc])

    def brows(self) -> list[np.ndarray]:
        """Polygons below points 17-21 and 22-26: dlib puts them along the brow's upper edge."""
        thickness = self.brow_thickness
        polygons = []
        for points, inner_first in ((self.lm[17:22], False), (self.lm[22:27], True)):
            taper = np.linspace(1.0, 0.55, 5) if inner_first else np.linspace(0.55, 1.0, 5)
            top = points + self.up * (0.25 * thickness * taper)[:, None]
            bottom = points - self.up * (0.85 * thickness * taper)[:, None]
            polygons.append(np.concatenate([top, bottom[::-1]]))
        return polygons

    def nose(self) -> np.ndarray:
        lm, x = self.lm, self.x
        base = float(np.hypot(*(lm[35] - lm[31])))
        bridge = [lm[27] - x * NOSE_BRIDGE[0] * base, lm[29] - x * NOSE_BRIDGE[1] * base]
        ala = lm[31] - x * 0.2 * base + self.up * 0.35 * base
        left = [*bridge, ala, lm[31] - x * 0.12 * base, lm[32]]
        bridge_r = [lm[27] + x * NOSE_BRIDGE[0] * base, lm[29] + x * NOSE_BRIDGE[1] * base]
        ala_r = lm[35] + x * 0.2 * base + self.up * 0.35 * base
        right = [lm[34], lm[35] + x * 0.12 * base, ala_r, *bridge_r[::-1]]
        return np.array([*left, lm[33] - self.up * 0.06 * base, *right])
