"""Colouring a synthetic face from its labels: each pixel from its own region's model."""

from __future__ import annotations

from collections import namedtuple

import cv2
import numpy as np

from .sampling import _ID
from .shapes import _Canvas, _Geometry, _pose

_Pixels = namedtuple("_Pixels", "u v fine mid coarse curl clothes")  # one region's pixels, each [N]


def _blob(px: _Pixels, cx, cy, sx, sy) -> np.ndarray:
    return np.exp(-(((px.u - cx) / sx) ** 2) - ((px.v - cy) / sy) ** 2)  # [N]


class _Painter(_Geometry):
    """Colours one region's pixels at a time: base colour x light x texture x shading, then details."""

    def __init__(self, attributes: dict[str, dict], rng: np.random.Generator, size: int) -> None:
        super().__init__(attributes)
        self.light = attributes["face"]["light_direction"]
        lin, off = _pose(attributes["face"])
        inv, p = np.linalg.inv(lin).astype(np.float32), (np.arange(size, dtype=np.float32) + 0.5) / size
        x, y = p[None, :] - np.float32(off[0]), p[:, None] - np.float32(off[1])  # [1, S], [S, 1]
        self.fields = [(inv[0, 0] * x + inv[0, 1] * y).ravel(), (inv[1, 0] * x + inv[1, 1] * y).ravel()]
        self.fields.append(rng.standard_normal(size * size, np.float32))  # white noise, std 1
        for cells in (40, 6, 90):  # smooth noise, features ~1/cells of the image, std ~1
            grid = rng.standard_normal((cells + 3, cells + 3)).astype(np.float32)
            self.fields.append(1.4 * cv2.resize(grid, (size, size), interpolation=cv2.INTER_CUBIC).ravel())
        self.fields.append(_Canvas(attributes["face"], size).fill("skin", self.clothes()).ravel() > 0)
        self.table = np.convolve(rng.standard_normal(1026), [0.4, 0.8, 0.4], "valid")  # [1024] strand profile
        self.shading = self._shading()
        self.details = {"eyes": self._eyes, "eyebrows": self._brows, "hair": self._hair,
                        "mouth": self._mouth, "eye_glass": self._shiny, "ear_rings": self._shiny,
                        "background": self._background}  # fmt: skip

    def paint(self, name: str, index: np.ndarray) -> np.ndarray:
        """RGB float [N, 3] of the pixels ``index`` (flat) labelled ``name``."""
        px, p = _Pixels(*(f[index] for f in self.fields)), self.a[name]
        shade = self._lambert(px, *self._surface(name)) * (1 + p.get("fine", 0) * px.fine)
        f = (shade * (1 + p.get("coarse", 0) * px.coarse))[:, None]  # [N, 1]
        for cx, cy, sx, sy, gain in self.shading.get(name, ()):
            f = f * (1 + np.multiply(gain, _blob(px, cx, cy, sx, sy)[:, None]))  # gain: scalar or RGB
        rgb = np.float32(p["color"]) * f
        return self.details[name](px, p, rgb, shade) if name in self.details else rgb

    def _surface(self, name: str) -> tuple:
        """Ellipsoid (cx, cy, rx, ry) that lights a region; cy None: a vertical cylinder."""
        sk, h = self.sk, self.h
        if name == "hair":
            return 0.5, h["center_y"], 1.2 * h["radii"][0], 1.3 * h["radii"][1]
        if name == "belowface":
            return 0.5, None, 1.4 * self.a["belowface"]["half_width"], 1.0
        if name in ("ears", "ear_rings"):  # at the head's side, but turned to the camera
            return 0.5, sk["cy"], 1.8 * sk["rx"], 1.1 * sk["ry"]
        if name == "background":
            return 0.5, 1.4, 0.6, 0.6  # the torso, lighting the clothes
        return 0.5, sk["cy"] - 0.03, 1.15 * sk["rx"], 1.1 * sk["ry"]

    def _lambert(self, px: _Pixels, cx, cy, rx, ry) -> np.ndarray:
        """Diffuse light: up to 1.15 where the surface faces the light, 0.5 (ambient) where it faces away."""
        nx, ny = (px.u - cx) / rx, 0 if cy is None else (px.v - cy) / ry
        nz = np.sqrt(np.clip(1 - nx * nx - ny * ny, 0.04, 1))
        lx, ly, lz = self.light
        return 0.5 + 0.65 * np.clip(
            (nx * lx + ny * ly + nz * lz) / np.sqrt(nx * nx + ny * ny + nz * nz), 0, 1
        )

    def _shading(self) -> dict[str, list[tuple]]:
        """Gaussian shading per region, (cx, cy, sx, sy, gain): colour x (1 + gain x blob); gain: 1 or RGB."""
        e, n, lp, ears, sk = self.e, self.n, self.lp, self.a["ears"], self.sk
        lx, sides = self.light[0], (-1, 1)
        w, b, hw, y_low = n["width"], n["bottom"], lp["half_width"], lp["y"] + lp["open"] / 2
        lid = -e["lid_shadow"]
        if e["eyeshadow"] is not None:  # tint the lids towards the eyeshadow colour
            lid = lid + 0.6 * (np.divide(e["eyeshadow"], np.maximum(sk["color"], 1)) - 1)
        blush = np.multiply(sk["blush"], (0.15, -0.04, -0.03))
        # The nose's sides, away from the light, in shadow; on the cheeks beside it too, so no seam shows.
        nose_sides = [(0.5 + s * 0.6 * w, b - 0.05, 0.3 * w, 0.06, -0.15 - 0.25 * s * lx) for s in sides]
        return {
            "skin": [(0.5 + s * e["dx"], e["y"] - 0.6 * e["upper"], 1.3 * e["half_width"], 1.6 * e["upper"],
                      lid) for s in sides]  # eye sockets
                    + [(0.5 + s * (e["dx"] + 0.01), 0.58, 0.05, 0.035, blush) for s in sides]
                    + [(0.5, b + 0.012, 0.9 * w, 0.01, -0.22),  # under the nose, under the lower lip
                       (0.5, y_low + lp["lower"] + 0.012, 0.6 * hw, 0.01, -0.18)] + nose_sides,
            "belowface": [(0.5, sk["cy"] + sk["ry"], 0.9 * sk["rx"], 0.07, -0.45)],  # the chin's shadow
            "nose": [(0.5 + s * 0.45 * w, b - 0.008, 0.22 * w, 0.006, -0.75) for s in sides]  # nostrils
                    + [(0.5 + 0.01 * lx, b - 0.028, 0.3 * w, 0.012, 0.15),  # highlights: tip, ridge
                       (0.5 + 0.005 * lx, b - 0.07, 0.15 * w, 0.05, 0.08)] + nose_sides,
            "ears": [(0.5 + s * (ears["dx"] - 0.05 * ears["rx"]), ears["y"], 0.45 * ears["rx"],
                      0.5 * ears["ry"], -0.3) for s in sides],  # the concha
            "lip": [(0.5, lp["y"] - lp["open"] / 2 - lp["upper"] / 2, hw, lp["upper"], -0.15)]  # upper lip
                   + [(0.5 + s * hw, lp["y"], 0.2 * hw, 0.03, -0.35) for s in sides]  # corners
                   + [(0.5 - 0.03 * lx, y_low + 0.45 * lp["lower"], 0.3 * hw, 0.3 * lp["lower"],
                       1.2 * lp["gloss"])],  # gloss on the lower lip
        }  # fmt: skip

    def _strands(self, q) -> np.ndarray:
        """1-D noise linearly interpolated at ``q`` (table cells, wrapping)."""
        i = np.floor(q)
        f, i = q - i, i.astype(np.int64) % self.table.size
        return self.table[i] * (1 - f) + self.table[(i + 1) % self.table.size] * f

    def _eyes(self, px: _Pixels, e: dict, rgb: np.ndarray, shade: np.ndarray) -> np.ndarray:
        s = np.where(px.u >= 0.5, 1.0, -1.0)
        ex, r = 0.5 + s * e["dx"], e["iris_radius"]
        xl, icx, icy = s * (px.u - ex) / e["half_width"], ex + e["gaze_x"], e["y"] + e["gaze_y"]
        d = np.hypot(px.u - icx, px.v - icy) / r  # 1 at the iris' rim
        rgb = np.float32(e["color"]) * (1 - 0.25 * xl**2)[:, None] * [1, 0.95, 0.95]  # shaded pink corners
        iris = (0.55 + 0.6 * d) * (1 + e["fine"] * px.fine) * (1 - 0.5 * np.clip(5 * d - 4, 0, 1))
        rgb = np.where((d < 1)[:, None], np.float32(e["iris_color"]) * iris[:, None], rgb)
        rgb = np.where((d < e["pupil"])[:, None], np.float32([12, 10, 10]), rgb)
        lx, ly, _ = self.light
        glint = _blob(px, icx + r * (0.35 * lx - 0.1), icy + r * (0.35 * ly - 0.2), 0.15 * r, 0.15 * r)
        up, lo = self.eye_lids(xl)
        depth = np.clip((px.v - up) / np.maximum(lo - up, 1e-4), 0, 1)  # 0 at the upper lid, 1 at the lower
        lashes = 1 - 0.75 * np.exp(-depth / 0.15)  # and the upper lid's shadow
        return (rgb + 220 * glint[:, None]) * lashes[:, None]

    def _brows(self, px: _Pixels, b: dict, rgb: np.ndarray, shade: np.ndarray) -> np.ndarray:
        off = np.abs(px.u - 0.5)
        _, yc, th = self.brow_line((off - b["inner"]) / (b["outer"] - b["inner"]))
        rgb = rgb * (1 + b["amplitude"] * self._strands(300 * (0.34 * off + 0.94 * px.v)))[:, None]  # hairs
        edge = 0.35 * np.clip(np.abs(px.v - yc) / (th / 2), 0, 1) ** 2  # sparse edges show the skin
        return rgb + edge[:, None] * (np.float32(self.sk["color"]) * shade[:, None] - rgb)

    def _hair(self, px: _Pixels, h: dict, rgb: np.ndarray, shade: np.ndarray) -> np.ndarray:
        du, dv = px.u - 0.5 - h["part"], px.v - h["top"] - 0.04  # strands radiate from the crown
        r, theta = np.hypot(du, dv), np.arctan2(dv, du)
        if h["texture"] == "curls":  # ridges of two noise scales: tangled ringlets
            f = 0.6 + 0.6 * np.clip(0.6 * (1 - np.abs(px.mid)) + 0.4 * (1 - np.abs(px.curl)), 0, 1)
        else:
            q = (theta + h["wave"] * np.sin(25 * r + h["phase"])) * (1024 / (2 * np.pi) / h["scale"])
            strands = 0.6 * self._strands(q) + 0.4 * self._strands(q / 8 + 300)  # fine strands, broad locks
            sheen = h["sheen"] * np.exp(-(((r - 0.55 * h["radii"][1]) / 0.03) ** 2))  # a band of highlight
            f = (1 + h["amplitude"] * strands) * (1 + sheen)
        color = np.float32(h["color"])
        root = 0.8 * color if h["root_color"] is None else np.float32(h["root_color"])
        t = np.clip(r / 0.5, 0, 1)[:, None]  # 0 at the roots, 1 at the tips
        return (root + t * (1.1 * color - root)) * (shade * f)[:, None]

    def _mouth(self, px: _Pixels, m: dict, rgb: np.ndarray, shade: np.ndarray) -> np.ndarray:
        lp = self.lp
        yl, xl = (px.v - lp["y"]) / max(lp["open"] / 2, 1e-3), (px.u - 0.5) / (0.85 * lp["half_width"])
        rgb = np.float32(m["color"]) * (0.6 + 0.4 * np.clip(1 - xl**2, 0, 1))[:, None]  # dark corners
        rgb += (1.6 * np.clip(yl - 0.2, 0, 0.5))[:, None] * (0.8 * np.float32(m["tongue"]) - rgb)
        if m["teeth"]:
            gaps = 1 - 0.45 * np.exp(-(np.sin(np.pi * 3.5 * xl) ** 2) / 0.02)
            tooth = np.float32(m["teeth_color"]) * ((1 - 0.35 * xl**2) * gaps)[:, None]
            rgb = np.where((yl < -0.1)[:, None], tooth, rgb)  # upper teeth
        return rgb * (1 + m["fine"] * px.fine)[:, None]

    def _shiny(self, px: _Pixels, p: dict, rgb: np.ndarray, shade: np.ndarray) -> np.ndarray:
        if p["texture"] == "mottled":  # tortoiseshell: dark brown and amber patches
            return rgb * (0.55 + 0.9 / (1 + np.exp(-3 * px.mid)))[:, None]
        return rgb * (0.85 + 0.2 * np.clip(px.mid, -1.5, 1.5))[:, None]  # polished: soft reflections

    def _background(self, px: _Pixels, bg: dict, rgb: np.ndarray, shade: np.ndarray) -> np.ndarray:
        d = bg["direction"]
        t = {"flat": 0 * px.u, "noise": 1 / (1 + np.exp(-1.5 * px.coarse)),
             "gradient": np.clip(0.5 + 0.9 * ((px.u - 0.5) * np.cos(d) + (px.v - 0.5) * np.sin(d)), 0, 1),
             }[bg["kind"]]  # fmt: skip
        c1, c2 = np.float32(bg["color"]), np.float32(bg["color2"])
        vignette = 1 - bg["vignette"] * ((px.u - 0.5) ** 2 + (px.v - 0.5) ** 2)
        scene = (c1 + (c2 - c1) * t[:, None]) * vignette[:, None]
        clothes = np.float32(bg["clothes_color"]) * (shade * (1 + 0.12 * px.coarse))[:, None]  # folds
        return np.where(px.clothes[:, None], clothes, scene * (1 + 0.015 * px.fine)[:, None])


def paint_image(labels: np.ndarray, attributes: dict[str, dict], rng: np.random.Generator) -> np.ndarray:
    """RGB uint8 [S, S, 3]: each pixel coloured by the appearance model of its own label."""
    painter, flat = _Painter(attributes, rng, labels.shape[0]), labels.ravel()
    image = np.zeros((flat.size, 3), np.float32)
    for name, rid in _ID.items():
        index = np.flatnonzero(flat == rid)
        if index.size:
            image[index] = painter.paint(name, index)
    return np.clip(image + 0.5, 0, 255).astype(np.uint8).reshape(*labels.shape, 3)
