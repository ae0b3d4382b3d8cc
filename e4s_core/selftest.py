"""The engine's self-test: is this installation able to render faces correctly?

Two checks, each a ``Check`` in the returned report (``e4s-studio selftest`` prints it, the
tests read it):

1. A small random network renders the same image through the fast regional path as through
   the authors' per-region loop (the oracle), within 1e-4.
2. The bundled default model reconstructs a held-out synthetic face better than that face's
   flat mean colour does (a missing or damaged model file fails here, with its message).
"""

import logging
import time
from dataclasses import dataclass, field

import torch

from .checkpoint import load_model
from .errors import E4SError
from .imageio import image_to_tensor, labels_to_tensor
from .metrics import psnr
from .model import E4SModel, ModelInfo
from .network import RGIConfig, RGINetwork
from .synthetic import make_face
from .synthetic.seeds import SELFTEST_SEED
from .synthetic_layout import ellipse_face_labels

log = logging.getLogger(__name__)

FAST_PATH_TOLERANCE = 1e-4
SELFTEST_CONFIG = RGIConfig(
    out_size=128,
    style_dim=64,
    mapping_layers=2,
    generator_channels=(64, 64, 64, 64, 32, 16),
    regional_layers=9,
    encoder_widths=(16, 16, 32, 32, 32),
    encoder_units=(1, 1, 1, 1),
)


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    detail: str  # one line for the user: the measured figures, or what went wrong


@dataclass
class SelftestReport:
    checks: list[Check] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(check.passed for check in self.checks)

    def lines(self) -> list[str]:
        lines = [f"{'ok  ' if c.passed else 'FAIL'} {c.name}: {c.detail}" for c in self.checks]
        failed = [c.name for c in self.checks if not c.passed]
        return [*lines, "selftest passed" if self.passed else f"selftest FAILED: {', '.join(failed)}"]


def run_selftest(default_model: E4SModel | None = None) -> SelftestReport:
    """Run every check; ``default_model`` replaces the bundled model (tests pass their own)."""
    report = SelftestReport([check_fast_path()])
    report.checks.append(check_default_model(default_model))
    return report


def check_fast_path(seed: int = 0) -> Check:
    name = "fast regional path equals the per-region loop"
    torch.manual_seed(seed)
    model = E4SModel(RGINetwork(SELFTEST_CONFIG), ModelInfo("selftest", "", "memory"))
    size = SELFTEST_CONFIG.out_size
    labels = labels_to_tensor(ellipse_face_labels(size))  # [1, 128, 128]
    image = torch.rand(1, 3, size, size) * 2 - 1
    with torch.inference_mode():
        codes = model.style_codes(model.encode(image, labels))
        start = time.perf_counter()
        fast = model.render(codes, labels)
        fast_seconds = time.perf_counter() - start
        start = time.perf_counter()
        loop = model.render(codes, labels, reference=True)
        loop_seconds = time.perf_counter() - start
    error = (fast - loop).abs().max().item()
    detail = (
        f"{size} px render: fast path {fast_seconds:.2f} s, reference loop {loop_seconds:.2f} s,"
        f" max difference {error:.2e}"
    )
    return Check(name, error < FAST_PATH_TOLERANCE, detail)


def check_default_model(model: E4SModel | None = None) -> Check:
    name = "the bundled model reconstructs a held-out face"
    start = time.perf_counter()
    try:
        model = model or load_model()
    except E4SError as error:
        return Check(name, False, str(error))
    loaded = f"{model.describe()} loaded in {time.perf_counter() - start:.2f} s"
    face = make_face(SELFTEST_SEED, model.resolution)
    image = image_to_tensor(face.image).to(model.device)  # [1, 3, S, S]
    labels = labels_to_tensor(face.labels)  # [1, S, S]
    with torch.inference_mode():
        codes = model.style_codes(model.encode(image, labels))
        start = time.perf_counter()
        result = model.render(codes, labels).clamp(-1, 1)
        render_seconds = time.perf_counter() - start
    score = float(psnr(result, image))
    flat = float(psnr(image.mean((2, 3), keepdim=True).expand_as(image), image))
    detail = (
        f"{loaded}; PSNR {score:.1f} dB (its flat mean colour: {flat:.1f} dB), render {render_seconds:.2f} s"
    )
    return Check(name, score > flat, detail)
