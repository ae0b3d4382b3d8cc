"""Outlines of a synthetic face's parts and the exact label map drawn from them."""

from __future__ import annotations

import cv2
import numpy as np

from .sampling import _ID


def _pose(face: dict) -> tuple[np.ndarray, np.ndarray]:
    """Canonical -> unit image: p' = lin @ p + off (rotation and scale about the centre, then shift)."""
    t = np.deg2rad(face["rotation_deg"])
    lin = face["scale"] * np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
    return lin, np.array([0.5 + face["shift_x"], 0.5 + face["shift_y"]]) - lin @ [0.5, 0.5]


def _ellipse(cx, cy, rx, ry, t0=0.0, t1=2 * np.pi, n=48) -> np.ndarray:
    t = np.linspace(t0, t1, n)
    return np.stack([cx + rx * np.cos(t), cy + ry * np.sin(t)], 1)  # [n, 2]


def _band(x, top, bottom) -> np.ndarray:
    """Closed outline between two curves over the same x."""
    return np.concatenate([np.stack([x, top], 1), np.stack([x, bottom], 1)[::-1]])


def _mirror(half) -> np.ndarray:
    """Left half (x as offset from the midline, top to bottom) -> closed outline symmetric about x = 0.5."""
    h = np.asarray(half, np.float64)
    left, right = np.stack([0.5 - h[:, 0], h[:, 1]], 1), np.stack([0.5 + h[:, 0], h[:, 1]], 1)
    return np.concatenate([left, right[::-1]])


class _Geometry:
    """Outlines ([N, 2] canonical x, y) and profiles of a face's parts, shared by drawing and painting."""

    def __init__(self, attributes: dict[str, dict]) -> None:
        self.a = attributes
        parts = ("skin", "hair", "eyes", "eyebrows", "nose", "lip")
        self.sk, self.h, self.e, self.b, self.n, self.lp = (attributes[k] for k in parts)

    def face(self) -> np.ndarray:
        t = np.linspace(0, 2 * np.pi, 72, endpoint=False)
        low = np.clip(np.sin(t), 0, 1)
        widen = 1 + self.sk["jaw"] * 4 * low**2 * (1 - low**2)  # > 0: square jaw, < 0: pointed chin
        sk = self.sk
        return np.stack([0.5 + sk["rx"] * np.cos(t) * widen, sk["cy"] + sk["ry"] * np.sin(t)], 1)

    def neck_half(self, y):
        neck = self.a["belowface"]
        return neck["half_width"] * (1 + 0.6 * np.clip(y - neck["top"], 0, None))

    def clothes(self) -> np.ndarray:
        bg = self.a["background"]
        ys, w = bg["shoulder_y"], 1.1 * self.neck_half(bg["shoulder_y"])
        if bg["neckline"] == "round":
            t = np.linspace(np.pi / 2, 0, 8)
            neckline = np.stack([w * np.cos(t), ys + 0.06 * np.sin(t)], 1)
        else:
            neckline = np.array([(0.0, ys + 0.06), (w, ys)])  # a V
        dx = np.linspace(0, 1, 10)
        shoulder = np.stack([w + 1.1 * dx, ys + 0.12 * dx**0.6], 1)
        return _mirror(np.concatenate([neckline, shoulder, [(2.1, 1.6)]]))

    def hair_back(self) -> list[np.ndarray]:
        h = self.h
        (hx, hy), hcy, style = h["radii"], h["center_y"], h["style"]
        if style == "curly":  # one bumpy volume around the head, cut above the shoulders
            t = np.linspace(0, 2 * np.pi, 96)
            r = h["volume"] * (1 + 0.05 * np.sin(7 * t + h["phase"]) + 0.03 * np.sin(13 * t + 2 * h["phase"]))
            pts = np.stack([0.5 + 1.05 * hx * r * np.cos(t), hcy + 0.03 + hy * r * np.sin(t)], 1)
            pts[:, 1] = np.minimum(pts[:, 1], self.sk["cy"] + 0.2)
            return [pts]
        shapes = [_ellipse(0.5, hcy, hx, hy)]
        if style == "bun":
            shapes.append(
                _ellipse(0.5 + h["bun_dx"], h["top"] + 0.3 * h["bun_r"], h["bun_r"], 0.9 * h["bun_r"])
            )
        if style in ("long", "bob", "bangs"):  # side curtains down to ``length``, stopping at the neck
            ys = np.linspace(hcy, h["length"], 16)
            outer = hx + 0.05 * ((ys - hcy) / (h["length"] - hcy)) ** 1.5
            inner, tips = np.maximum(self.neck_half(ys), 0.06), ys - 0.03 * (ys > h["length"] - 0.01)
            for s in (-1, 1):
                shapes.append(np.stack([0.5 + s * np.r_[outer, inner[::-1]], np.r_[ys, tips[::-1]]], 1))
        return shapes

    def hair_front(self) -> np.ndarray:
        """Hair over the forehead: from the hairline (or the fringe of bangs) up around the skull."""
        h = self.h
        (hx, hy), hcy, style = h["radii"], h["center_y"], h["style"]
        w, xs, top, temple = 0.97 * hx, np.linspace(-1, 1, 41), h["hairline"], h["temple_y"]
        if style == "bangs":
            y = h["bangs_y"] + 0.02 * xs**2 + (temple + 0.02 - h["bangs_y"]) * np.abs(xs) ** 6
            y += 0.006 * np.abs(np.sin(25 * xs + h["phase"]))  # uneven strand tips
        else:
            y = top + (temple - top) * np.abs(xs) ** 2.5
            y -= 0.025 * np.exp(-(((xs * w - h["part"]) / 0.04) ** 2))  # the parting
            y -= (style == "receding") * h["recede"] * (0.6 + np.exp(-(((np.abs(xs) - 0.55) / 0.2) ** 2)))
            y += (style == "curly") * 0.008 * np.sin(17 * xs + h["phase"])
        t = np.arcsin(np.clip((temple - hcy) / (0.97 * hy), -1, 1))
        return np.concatenate(
            [np.stack([0.5 + w * xs, y], 1), _ellipse(0.5, hcy, w, 0.97 * hy, t, -np.pi - t)]
        )

    def eye_lids(self, xl):
        """Canonical y of the upper and lower lid at ``xl`` (-1 inner corner .. 1 outer corner)."""
        e = self.e
        bulge, mid = np.clip(1 - xl**2, 0, 1), e["y"] - e["tilt"] * xl
        return mid - e["upper"] * bulge * (1 - 0.25 * xl), mid + e["lower"] * bulge * (1 + 0.2 * xl)

    def brow_line(self, p):
        """Brow centre line at ``p`` (0 inner end .. 1 tail): offset from the midline, y, thickness."""
        b, p = self.b, np.clip(p, 0, 1)
        y = b["y"] - b["arch"] * np.sin(np.pi * p**0.75) + 0.006 * p
        return b["inner"] + (b["outer"] - b["inner"]) * p, y, b["thickness"] * (1 - 0.55 * p**1.5)

    def nose_half(self) -> np.ndarray:
        t, b, w, br = self.n["top"], self.n["bottom"], self.n["width"], self.n["bridge"]
        return np.array([(0.8 * br, t), (br, t + 0.4 * (b - t)), (0.55 * w, b - 0.045), (w, b - 0.018),
                         (0.92 * w, b - 0.004), (0.55 * w, b), (0.25 * w, b + 0.002),
                         (0.0, b + 0.004)])  # fmt: skip

    def lips(self) -> tuple[np.ndarray, np.ndarray]:
        """Outer outline of both lips, and the opening between them."""
        lp, xl, xi = self.lp, np.linspace(-1, 1, 25), np.linspace(-0.85, 0.85, 21)
        o, y, x = lp["open"] / 2, lp["y"], 0.5 + lp["half_width"] * xl
        bow = (1 - xl**2) ** 0.6 * (1 - 0.3 * np.exp(-((xl / 0.12) ** 2)))  # Cupid's bow
        gap = o * np.sqrt(1 - (xi / 0.85) ** 2)
        outer = _band(x, y - o - lp["upper"] * bow, y + o + lp["lower"] * (1 - xl**2) ** 0.7)
        return outer, _band(0.5 + lp["half_width"] * xi, y - gap, y + gap)

    def glasses(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Closed lens rims, and open lines (bridge, arms)."""
        g, e = self.a["eye_glass"], self.e
        t, n = np.linspace(0, 2 * np.pi, 48), {"round": 2.0, "rect": 5.0, "cat_eye": 2.6}[g["style"]]
        a, b = g["half_width"], g["half_width"] * g["aspect"]
        x = a * np.sign(np.cos(t)) * np.abs(np.cos(t)) ** (2 / n)  # superellipse: circle .. rounded rectangle
        y = b * np.sign(np.sin(t)) * np.abs(np.sin(t)) ** (2 / n)
        if g["style"] == "cat_eye":
            y -= 0.5 * b * np.clip(x / a, 0, 1) ** 3 * (y < 0)  # upswept outer corners
        rims = [np.stack([0.5 + s * (e["dx"] + x), e["y"] - g["lift"] + y], 1) for s in (-1, 1)]
        yb, xb, ear = e["y"] - g["lift"] - 0.3 * b, e["dx"] - 0.95 * a, self.sk["rx"] + 0.014
        lines = [np.array([(0.5 - xb, yb), (0.5, yb - 0.012), (0.5 + xb, yb)])]  # the bridge
        arms = [np.array([(0.5 + s * (e["dx"] + a), yb), (0.5 + s * ear, yb)]) for s in (-1, 1)]
        return rims, lines + arms


class _Canvas:
    """A label map that canonical-frame polygons are filled into, with sub-pixel vertices."""

    def __init__(self, face: dict, size: int) -> None:
        lin, off = _pose(face)
        self.size, self.lin, self.off = size, lin * size * 16, (off * size - 0.5) * 16  # 4 fractional bits
        self.labels = np.zeros((size, size), np.uint8)

    def _px(self, polys) -> list[np.ndarray]:
        return [np.round(p @ self.lin.T + self.off).astype(np.int32) for p in polys]  # [N, 2] x, y

    def fill(self, region: str, *polys: np.ndarray) -> np.ndarray:
        for p in self._px(polys):
            cv2.fillPoly(self.labels, [p], _ID[region], cv2.LINE_8, 4)
        return self.labels

    def stroke(self, region: str, width: float, polys, closed: bool = True) -> None:
        width = max(1, round(width * self.size))
        cv2.polylines(self.labels, self._px(polys), closed, _ID[region], width, cv2.LINE_8, 4)


def _draw_earrings(c: _Canvas, r: dict, ears: dict) -> None:
    k, rad = r["size"], max(0.009 * r["size"], 1.3 / c.size)  # at least a couple of pixels
    for s in (-1, 1):
        x, y = 0.5 + s * (ears["dx"] + 0.25 * ears["rx"]), ears["y"] + 0.8 * ears["ry"]  # the lobe
        if r["style"] == "hoop":
            c.stroke("ear_rings", 0.005 * k, [_ellipse(x, y + 0.026 * k, 0.026 * k, 0.026 * k, n=32)])
        else:
            c.fill("ear_rings", _ellipse(x, y, rad, rad, n=16))
        if r["style"] == "drop":
            c.stroke("ear_rings", 0.003, [np.array([(x, y), (x, y + 0.03 * k)])], closed=False)
            c.fill("ear_rings", _ellipse(x, y + 0.03 * k + rad, 1.3 * rad, 1.5 * rad, n=16))


def draw_labels(attributes: dict[str, dict], size: int) -> np.ndarray:
    """Exact label map uint8 [size, size]: shapes filled in paint order, the last one wins."""
    a, g, c = attributes, _Geometry(attributes), _Canvas(attributes["face"], size)
    c.fill("belowface", _mirror([(g.neck_half(y), y) for y in (a["belowface"]["top"], 1.6)]))
    c.fill("background", g.clothes())  # clothes count as background
    if a["hair"]["present"]:
        c.fill("hair", *g.hair_back())
    ears = a["ears"]
    if ears["present"]:
        c.fill("ears", *(_ellipse(0.5 + s * ears["dx"], ears["y"], ears["rx"], ears["ry"]) for s in (-1, 1)))
    if a["ear_rings"]["present"]:
        _draw_earrings(c, a["ear_rings"], ears)
    c.fill("skin", g.face())
    c.fill("nose", _mirror(g.nose_half()))
    e, xl = a["eyes"], np.linspace(-1, 1, 17)
    c.fill("eyes", *(_band(0.5 + s * (e["dx"] + xl * e["half_width"]), *g.eye_lids(xl)) for s in (-1, 1)))
    off, y, th = g.brow_line(np.linspace(0, 1, 16))
    c.fill("eyebrows", *(_band(0.5 + s * off, y - th / 2, y + th / 2) for s in (-1, 1)))
    lips, opening = g.lips()
    c.fill("lip", lips)
    if a["mouth"]["present"]:
        c.fill("mouth", opening)
    if a["eye_glass"]["present"]:
        rims, lines = g.glasses()
        c.stroke("eye_glass", a["eye_glass"]["thickness"], rims)
        c.stroke("eye_glass", a["eye_glass"]["thickness"], lines, closed=False)
    if a["hair"]["present"]:
        c.fill("hair", g.hair_front())
    return c.labels
