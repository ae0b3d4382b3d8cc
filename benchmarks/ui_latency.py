"""Stroke end -> preview on screen, in the real window (offscreen), on the CPU.

    python benchmarks/ui_latency.py [--repeats 10]

Opens the astronaut photo in the studio window, paints strokes on the mask canvas
with synthetic mouse events and measures the time from the mouse release to the
moment the result view shows the preview of that stroke. Two models: a small
random-weight model of the default model's planned size (256 px; the trained
default model arrives with issue 4) and the authors' configuration (1024 px,
random weights; its preview is the 256 px stage).
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import torch  # noqa: E402
from PySide6.QtCore import QEvent  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from photos import astronaut  # noqa: E402
from studio_helpers import send_mouse  # noqa: E402

from app.main_window import MainWindow  # noqa: E402
from app.models.document import Document, FaceSource, encode_face  # noqa: E402
from e4s_core import E4SModel, ModelInfo  # noqa: E402
from e4s_core.network import RGIConfig, RGINetwork  # noqa: E402
from e4s_core.photo.align import align_photo  # noqa: E402
from e4s_core.photo.parse import parse_face  # noqa: E402
from e4s_core.runtime import tune_cpu_allocator  # noqa: E402

SMALL = RGIConfig(
    out_size=256,
    style_dim=256,
    mapping_layers=2,
    generator_channels=(256, 256, 256, 128, 64, 32, 16),
    regional_layers=10,
    encoder_widths=(32, 32, 64, 128, 128),
    encoder_units=(1, 2, 2, 1),
)


def measure(app, model: E4SModel, repeats: int) -> list[float]:
    window = MainWindow(model)
    window.setProperty("quiet", True)
    window.resize(1600, 900)
    window.show()
    aligned = align_photo(astronaut())
    source = FaceSource(aligned, parse_face(aligned), name="astronaut")
    window.set_document(Document(source, encode_face(model, source)))
    shown = []
    original = window.result_view.set_image
    window.result_view.set_image = lambda image: (shown.append(time.perf_counter()), original(image))
    view = window.canvas_view
    latencies = []
    for i in range(repeats + 1):
        while window.worker.busy or window._full_timer.isActive():
            app.processEvents()
        shown.clear()
        window.set_label(4 if i % 2 else 6)
        y = view.height() * (0.3 + 0.04 * (i % 8))
        send_mouse(view, QEvent.Type.MouseButtonPress, view.width() * 0.3, y)
        send_mouse(view, QEvent.Type.MouseMove, view.width() * 0.5, y)
        released = time.perf_counter()
        send_mouse(view, QEvent.Type.MouseButtonRelease, view.width() * 0.5, y)
        while not shown and time.perf_counter() - released < 30:
            app.processEvents()
        if i:  # the first stroke warms caches up
            latencies.append(shown[0] - released)
    window.close()
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    tune_cpu_allocator()
    app = QApplication.instance() or QApplication([])
    torch.manual_seed(0)
    for name, config in (
        ("default-size stand-in, 256 px", SMALL),
        ("authors' configuration, 1024 px", RGIConfig()),
    ):
        network = RGINetwork(config)
        network.latent_avg.normal_(0, 0.5)
        model = E4SModel(network, ModelInfo(name, "", "memory"))
        times = measure(app, model, args.repeats)
        print(
            f"{name:<34} stroke end -> preview: median {statistics.median(times) * 1000:6.0f} ms,"
            f" max {max(times) * 1000:6.0f} ms ({len(times)} strokes, {torch.get_num_threads()} threads)"
        )


if __name__ == "__main__":
    main()
