"""Every random choice of a synthetic face: pose, part geometry, each region's look."""

from __future__ import annotations

import numpy as np

from ..regions import region_id

HAIR_STYLES = ("short", "long", "bob", "bangs", "curly", "bun", "receding", "none")
GLASSES_PROBABILITY = 0.25
EARRINGS_PROBABILITY = 0.20
_HAIR_STYLE_WEIGHTS = (0.17, 0.16, 0.13, 0.12, 0.12, 0.10, 0.10, 0.10)
_GLASS_STYLES, _EARRING_STYLES = ("round", "rect", "cat_eye"), ("stud", "hoop", "drop")
_BACKGROUNDS = ("flat", "gradient", "noise")

# sRGB. Skin tones run from very light to very dark; a face interpolates between neighbours.
_SKIN_TONES = np.array([(250, 224, 206), (238, 201, 174), (224, 180, 146), (203, 150, 110), (171, 117, 80),
                        (134, 88, 58), (100, 64, 43), (70, 46, 33)], np.float64)  # fmt: skip
_HAIR_NATURAL = {"black": (26, 21, 19), "dark_brown": (56, 37, 26), "brown": (96, 64, 40),
                 "light_brown": (146, 106, 68), "blonde": (212, 176, 118), "auburn": (128, 56, 30),
                 "gray": (150, 148, 146), "white": (222, 220, 214)}  # fmt: skip
_HAIR_NATURAL_WEIGHTS = (0.22, 0.22, 0.16, 0.1, 0.1, 0.06, 0.09, 0.05)  # in the order above
_HAIR_DYED = {"pink": (226, 112, 162), "blue": (46, 86, 196), "purple": (116, 58, 166),
              "green": (36, 146, 98), "platinum": (236, 228, 208), "red": (186, 30, 40)}  # fmt: skip
_IRIS = {"dark_brown": (52, 30, 18), "brown": (98, 60, 30), "hazel": (118, 98, 50), "green": (72, 118, 70),
         "blue": (70, 120, 182), "gray": (118, 128, 138), "amber": (160, 110, 40)}  # fmt: skip
_LIPSTICK = {"red": (172, 22, 36), "pink": (212, 92, 132), "berry": (118, 22, 60), "nude": (184, 122, 110),
             "coral": (228, 102, 82), "plum": (82, 22, 44), "brown": (118, 60, 48)}  # fmt: skip
_FRAMES = {"black": (22, 22, 24), "tortoise": (92, 56, 30), "gold": (204, 168, 92), "silver": (186, 186, 192),
           "red": (162, 30, 42), "navy": (30, 40, 92), "clear": (200, 196, 188)}  # fmt: skip
_JEWELS = {"gold": (214, 176, 82), "silver": (202, 202, 208), "rose_gold": (204, 142, 120),
           "pearl": (238, 232, 220), "ruby": (170, 20, 52), "sapphire": (30, 62, 172)}  # fmt: skip

# Scalars drawn uniformly from (low, high), per region; lengths in canonical units (image side = 1).
# "fine" and "coarse" are amplitudes of the pixel-scale and 1/6-image-scale noise in a region's colour.
_RANGES = {
    "face": {"rotation_deg": (-10, 10), "scale": (0.9, 1.1), "shift_x": (-0.03, 0.03),
             "shift_y": (-0.03, 0.03)},
    "skin": {"cy": (0.49, 0.51), "rx": (0.215, 0.25), "ry": (0.33, 0.37), "jaw": (-0.12, 0.2),
             "fine": (0.015, 0.035), "coarse": (0.02, 0.05), "blush": (0.0, 0.5)},
    "hair": {"top_gap": (0.01, 0.03), "hy": (0.29, 0.32), "widen": (0.015, 0.035), "hairline": (0.22, 0.28),
             "temple_y": (0.38, 0.43), "part": (-0.08, 0.08), "length": (0.74, 0.84), "long": (0.9, 1.15),
             "bangs_y": (0.33, 0.37), "recede": (0.03, 0.06), "volume": (1.12, 1.28), "phase": (0, 6.28),
             "bun_dx": (-0.03, 0.03), "bun_r": (0.065, 0.09), "wave": (0, 0.05), "sheen": (0.1, 0.35),
             "scale": (0.8, 1.25), "amplitude": (0.12, 0.25), "fine": (0.04, 0.08)},
    "eyes": {"y": (0.455, 0.48), "dx": (0.105, 0.125), "half_width": (0.042, 0.052), "upper": (0.016, 0.026),
             "lower": (0.010, 0.016), "tilt": (-0.006, 0.008), "iris_ratio": (0.42, 0.5),
             "pupil": (0.3, 0.45), "gaze_x": (-0.01, 0.01), "gaze_y": (-0.003, 0.003),
             "lid_shadow": (0.08, 0.25), "fine": (0.1, 0.25)},
    "eyebrows": {"gap": (0.05, 0.07), "thickness": (0.008, 0.022), "arch": (0.004, 0.02),
                 "inner": (0.032, 0.05), "tail": (0.01, 0.035), "amplitude": (0.15, 0.35),
                 "darken": (0.55, 0.9), "fine": (0.05, 0.1)},
    "nose": {"bottom": (0.6, 0.635), "width": (0.042, 0.06), "bridge": (0.011, 0.018), "tint": (0.97, 1.01)},
    "lip": {"y": (0.69, 0.72), "half_width": (0.07, 0.095), "upper": (0.013, 0.022), "lower": (0.017, 0.03),
            "opening": (0.018, 0.045), "gloss": (0.0, 0.15), "fine": (0.02, 0.05)},
    "mouth": {"fine": (0.01, 0.03)},
    "ears": {"gap": (0.006, 0.014), "y": (0.49, 0.52), "rx": (0.03, 0.04), "ry": (0.06, 0.078)},
    "belowface": {"darken": (0.72, 0.86), "width": (0.52, 0.62)},
    "eye_glass": {"margin": (0.016, 0.03), "lift": (0.0, 0.006), "aspect": (0.6, 0.8), "fine": (0.02, 0.05)},
    "ear_rings": {"size": (0.8, 1.25), "fine": (0.05, 0.1)},
    "background": {"direction": (0, 6.28), "vignette": (0, 0.5), "shoulder_y": (0.93, 0.99),
                   "fine": (0.02, 0.06)},
}  # fmt: skip
_ID = {name: region_id(name) for name in _RANGES if name != "face"}  # the 12 regions


def _rgb(values, gain: float = 1.0) -> list[int]:
    return [int(np.clip(round(float(c) * gain), 0, 255)) for c in values]


def _pick(rng: np.random.Generator, options, weights=None):
    """(name, value) of a random entry of a dict; (item, None) of a tuple."""
    name = list(options)[int(rng.choice(len(options), p=weights))]
    return name, options[name] if isinstance(options, dict) else None


def sample_attributes(rng: np.random.Generator) -> dict[str, dict]:
    """Every random choice of one face, as plain Python values; see the module docstring."""
    u = rng.uniform
    a = {name: {key: float(u(*r)) for key, r in ranges.items()} for name, ranges in _RANGES.items()}
    for region in _ID:
        a[region]["present"] = True
    face, sk = a["face"], a["skin"]
    light = np.array([u(-0.6, 0.6), u(-0.6, 0.25), u(0.6, 1.0)])  # mostly frontal, more often from above
    face.update(skin_tone=float(u() ** 0.9), light_direction=(light / np.linalg.norm(light)).tolist(),
                has_glasses=bool(u() < GLASSES_PROBABILITY), has_earrings=bool(u() < EARRINGS_PROBABILITY),
                hair_style=_pick(rng, HAIR_STYLES, _HAIR_STYLE_WEIGHTS)[0])  # fmt: skip
    tone = face["skin_tone"] * 7  # skin_tone: 0 lightest .. 1 darkest
    lo = min(int(tone), 6)
    skin = _SKIN_TONES[lo] + (_SKIN_TONES[lo + 1] - _SKIN_TONES[lo]) * (tone - lo)
    skin += np.array([1.0, 0.0, -1.0]) * u(-8, 8)  # warm or cool undertone
    sk.update(color=_rgb(skin), texture="pores", blush=sk["blush"] * (u() < 0.3))
    _sample_hair(rng, a)
    _sample_features(rng, a, skin)
    _sample_accessories(rng, a)
    return a


def _sample_hair(rng: np.random.Generator, a: dict[str, dict]) -> None:
    u, hair, sk, style = rng.uniform, a["hair"], a["skin"], a["face"]["hair_style"]
    dyed = bool(u() < 0.2)
    shade, color = _pick(rng, _HAIR_DYED) if dyed else _pick(rng, _HAIR_NATURAL, _HAIR_NATURAL_WEIGHTS)
    if style == "receding" and u() < 0.5:
        shade, color = _pick(rng, {k: _HAIR_NATURAL[k] for k in ("gray", "white", "dark_brown")})
    hair.update(present=style != "none", style=style, color=_rgb(color, u(0.9, 1.1)), dyed=dyed, shade=shade,
                root_color=_rgb(_HAIR_NATURAL["dark_brown"]) if dyed and u() < 0.5 else None,
                texture="curls" if style == "curly" else "strands",
                radii=[sk["rx"] + hair["widen"], hair["hy"]],
                top=sk["cy"] - sk["ry"] - hair["top_gap"])  # fmt: skip
    hair["center_y"] = hair["top"] + hair["hy"]
    if style == "long" or (style == "bangs" and u() < 0.5):
        hair["length"] = hair["long"]
    brows = np.float64(color if style != "none" and not dyed else _HAIR_NATURAL["dark_brown"])
    brows = np.minimum(brows * a["eyebrows"]["darken"], np.multiply(sk["color"], 0.7))  # darker than skin
    a["eyebrows"]["color"] = _rgb(brows)


def _sample_features(rng: np.random.Generator, a: dict[str, dict], skin: np.ndarray) -> None:
    u, e, sk = rng.uniform, a["eyes"], a["skin"]
    e.update(color=_rgb((236, 230, 224), u(0.93, 1.02)), iris=_pick(rng, _IRIS)[0], texture="iris_streaks",
             iris_radius=e["half_width"] * e["iris_ratio"],
             eyeshadow=_rgb(_pick(rng, _LIPSTICK)[1]) if u() < 0.2 else None)  # fmt: skip
    e["iris_color"] = _rgb(_IRIS[e["iris"]], u(0.85, 1.15))
    a["eyebrows"].update(texture="strands", y=e["y"] - a["eyebrows"]["gap"],
                         outer=e["dx"] + e["half_width"] + a["eyebrows"]["tail"])  # fmt: skip
    for part in ("nose", "ears", "belowface"):  # the same skin texture everywhere: no seams at borders
        a[part].update(texture="pores", fine=sk["fine"], coarse=sk["coarse"])
    a["nose"].update(color=_rgb(skin * [1.0, 0.98, 0.97], a["nose"]["tint"]), top=e["y"])
    mouth, lip = a["mouth"], a["lip"]
    mouth.update(present=bool(u() < 0.35), teeth=bool(u() < 0.7), color=_rgb((70, 22, 28), u(0.8, 1.2)),
                 teeth_color=_rgb((232, 224, 206), u(0.9, 1.05)), tongue=[176, 72, 82],
                 texture="smooth")  # fmt: skip
    style, lip_rgb = _pick(rng, _LIPSTICK) if u() < 0.4 else ("natural", skin * [0.82, 0.55, 0.56] + 8)
    lip.update(color=_rgb(lip_rgb, u(0.9, 1.1)), style=style, texture="smooth",
               open=lip["opening"] if mouth["present"] else 0.0,
               gloss=lip["gloss"] + 0.35 * (style != "natural"))  # fmt: skip
    hidden = a["hair"]["style"] in ("long", "bob", "bangs", "curly") and u() < 0.5  # hair over the ears
    a["ears"].update(present=a["face"]["has_earrings"] or not hidden, color=_rgb(skin * [0.98, 0.93, 0.92]),
                     dx=sk["rx"] + a["ears"]["gap"])  # fmt: skip
    neck = a["belowface"]  # darker than the face: it is in the chin's shadow
    neck.update(color=_rgb(skin, neck["darken"]), half_width=sk["rx"] * neck["width"], top=sk["cy"] + 0.1)


def _sample_accessories(rng: np.random.Generator, a: dict[str, dict]) -> None:
    u, glass, rings, bg = rng.uniform, a["eye_glass"], a["ear_rings"], a["background"]
    material, frame_rgb = _pick(rng, _FRAMES)
    glass.update(present=a["face"]["has_glasses"], style=_pick(rng, _GLASS_STYLES)[0], material=material,
                 color=_rgb(frame_rgb, u(0.9, 1.1)), weight="thick" if u() < 0.45 else "thin",
                 half_width=a["eyes"]["half_width"] + glass["margin"],
                 texture="mottled" if material == "tortoise" else "glossy")  # fmt: skip
    glass["thickness"] = u(0.009, 0.014) if glass["weight"] == "thick" else u(0.004, 0.006)
    if glass["style"] == "round":
        glass["aspect"] = 0.85 + glass["aspect"] / 8  # height / width: 0.925 .. 0.95
    material, jewel_rgb = _pick(rng, _JEWELS)
    rings.update(present=a["face"]["has_earrings"], style=_pick(rng, _EARRING_STYLES)[0], material=material,
                 color=_rgb(jewel_rgb, u(0.92, 1.05)), texture="metallic")  # fmt: skip
    bg.update(kind=_pick(rng, _BACKGROUNDS)[0], color=_rgb(u(20, 235, 3)), color2=_rgb(u(20, 235, 3)),
              clothes_color=_rgb(u(15, 230, 3)), neckline="v" if u() < 0.4 else "round",
              texture="fabric")  # fmt: skip
