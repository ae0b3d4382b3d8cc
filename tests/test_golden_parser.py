"""The authors' face parser (BiSeNet, ``79999_iter.pth`` layout) loads strictly and parses as E4S does.

Every case under ../shared/golden/parser names a deterministic weight fill; its
``make_parser_fill.py`` writes it once into the user cache (``E4S_CACHE`` overrides). The case's
1024 input goes through ``load_parser(path)`` and is compared with the official outputs within
the golden README's tolerances.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torch.nn import functional as F

from e4s_core.paths import cache_dir
from e4s_core.photo.align import AlignedFace, AlignmentTransform
from e4s_core.photo.bisenet import normalised_input
from e4s_core.photo.parse import load_parser

GOLDEN = Path(__file__).resolve().parents[1].parent / "shared" / "golden" / "parser"
CASES = sorted(p.parent.name for p in GOLDEN.glob("case*/outputs.npz")) if GOLDEN.is_dir() else []

pytestmark = pytest.mark.skipif(not CASES, reason=f"parser golden reference not present at {GOLDEN}")


def parser_fill(seed: int) -> Path:
    """The fill state dict for ``seed``, built once by the golden's own script and cached."""
    folder = cache_dir() / "golden"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"parser_fill_seed{seed}.pth"
    if not path.exists():
        partial = folder / f".building_parser_seed{seed}_{os.getpid()}.pth"
        command = [
            sys.executable,
            str(GOLDEN / "make_parser_fill.py"),
            "--seed",
            str(seed),
            "--out",
            str(partial),
        ]
        subprocess.run(command, check=True, capture_output=True)
        os.replace(partial, path)
    return path


@pytest.fixture(scope="module", params=CASES)
def case(request):
    folder = GOLDEN / request.param
    meta = json.loads((folder / "meta.json").read_text())
    parser = load_parser(parser_fill(int(meta["fill_seed"])))
    rgb = np.asarray(Image.open(folder / "input_1024.png").convert("RGB"))
    expected = dict(np.load(folder / "outputs.npz"))
    return folder, parser, rgb, expected


def test_the_input_is_made_exactly_as_e4s_makes_it(case):
    _, _, rgb, expected = case
    x = normalised_input(rgb)  # [1, 3, 512, 512]
    assert np.abs(F.avg_pool2d(x, 4).numpy() - expected["normalized_input_pool4"]).max() <= 1e-5
    assert np.abs(x[:, :, 192:320, 192:320].numpy() - expected["normalized_input_crop"]).max() <= 1e-5


def test_the_logits_match_the_official_network(case):
    _, parser, rgb, expected = case
    logits = parser.logits(rgb)  # [1, 19, 512, 512]
    assert logits.shape == (1, 19, 512, 512)
    largest = float(np.abs(expected["logits_pool4"]).max())
    assert np.abs(F.avg_pool2d(logits, 4).numpy() - expected["logits_pool4"]).max() <= 1e-4 * largest
    assert np.abs(logits[:, :, 224:288, 224:288].numpy() - expected["logits_crop"]).max() <= 1e-4 * largest
    with torch.inference_mode():
        _, aux16, aux32 = parser.network(normalised_input(rgb))
    assert np.abs(aux16.mean((2, 3)).numpy() - expected["logits16_mean"]).max() <= 1e-4 * largest
    assert np.abs(aux32.mean((2, 3)).numpy() - expected["logits32_mean"]).max() <= 1e-4 * largest


def test_both_label_maps_match(case):
    folder, parser, rgb, _ = case
    labels19 = parser.logits(rgb).argmax(1)[0].numpy()
    assert np.mean(labels19 == np.asarray(Image.open(folder / "labels19_512.png"))) >= 0.999
    aligned = AlignedFace(rgb, AlignmentTransform.identity(1024, (1024, 1024)), None)
    labels12 = parser.parse(aligned)
    assert labels12.shape == (512, 512) and labels12.dtype == np.uint8
    assert np.mean(labels12 == np.asarray(Image.open(folder / "labels12_512.png"))) >= 0.999
