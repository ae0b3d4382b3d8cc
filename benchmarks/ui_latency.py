"""Stroke end -> preview on screen, in the real window (offscreen), on the CPU.

    python benchmarks/ui_latency.py [--repeats 10]

Opens the astronaut photo in the studio window, paints strokes on the mask canvas
with synthetic mouse events and measures the time from the mouse release to the
moment the result view shows a render requested after the release. A preview
started at the stroke's first press is still running then, so the figure is
about one to two preview renders; the time of one preview render is printed too. Two models: the
shipped default model (256 px) and the authors' configuration (1024 px, random weights; speed
does not depend on the values; its preview is the 256 px stage).
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from PySide6.QtCore import QEvent  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from photos import astronaut  # noqa: E402
from studio_helpers import send_mouse  # noqa: E402

from app.studio.main_window import MainWindow  # noqa: E402
from app.studio.models.document import Document, FaceSource, encode_face  # noqa: E402
from e4s_core import E4SModel, ModelInfo, load_model  # noqa: E402
from e4s_core.network import RGIConfig, RGINetwork  # noqa: E402
from e4s_core.photo.align import align_photo  # noqa: E402
from e4s_core.photo.parse import parse_face  # noqa: E402
from e4s_core.regions import LABEL_MAP_SIZE  # noqa: E402
from e4s_core.rendering import render_face  # noqa: E402
from e4s_core.runtime import tune_cpu_allocator  # noqa: E402


def measure(app, model: E4SModel, repeats: int) -> list[float]:
    window = MainWindow(model)
    window.setProperty("quiet", True)
    window.resize(1600, 900)
    window.show()
    aligned = align_photo(astronaut())
    source = FaceSource(aligned, parse_face(aligned), name="astronaut")
    window.set_document(Document(source, encode_face(model, source)))
    requests, shown = [], {}
    request = window.worker.request
    window.worker.request = lambda job, kind="full": (
        requests.append((time.perf_counter(), request(job, kind))) or requests[-1][1]
    )
    window.worker.finished.connect(lambda outcome: shown.setdefault(outcome.generation, time.perf_counter()))
    view = window.canvas_view
    latencies = []
    for i in range(repeats + 1):
        while window.renders.pending:
            app.processEvents()
            time.sleep(0.001)
        window.set_label((4, 8)[i % 2])  # alternate, so every stroke changes the same row
        y = view.height() * 0.45
        send_mouse(view, QEvent.Type.MouseButtonPress, view.width() * 0.3, y)
        send_mouse(view, QEvent.Type.MouseMove, view.width() * 0.5, y)
        released = time.perf_counter()
        send_mouse(view, QEvent.Type.MouseButtonRelease, view.width() * 0.5, y)

        first = None
        while first is None and time.perf_counter() - released < 60:
            app.processEvents()
            time.sleep(0.001)
            after = [
                generation for t, generation in requests if t >= released
            ]  # requests made for this stroke
            done = [t for g, t in shown.items() if after and g >= after[0]]
            first = min(done) if done else None
        if i:  # the first stroke warms caches up
            latencies.append(first - released)
    window.close()
    return latencies


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    tune_cpu_allocator()
    app = QApplication.instance() or QApplication([])
    torch.manual_seed(0)
    authors = RGINetwork(RGIConfig())
    authors.latent_avg.normal_(0, 0.5)
    for name, model in (
        ("shipped default model, 256 px", load_model(device="cpu")),
        ("authors' configuration, 1024 px", E4SModel(authors, ModelInfo("authors", "", "memory"))),
    ):
        config = model.config
        times = measure(app, model, args.repeats)
        labels = np.zeros((LABEL_MAP_SIZE, LABEL_MAP_SIZE), np.uint8)
        vectors = np.zeros((config.num_regions, config.vector_dim), np.float32)
        size = min(256, config.out_size)
        render_face(model, labels, vectors, size)
        one = statistics.median(
            timed(lambda m=model, lab=labels, v=vectors, s=size: render_face(m, lab, v, s)) for _ in range(5)
        )
        print(
            f"{name:<34} stroke end -> preview: median {statistics.median(times) * 1000:5.0f} ms,"
            f" max {max(times) * 1000:5.0f} ms ({len(times)} strokes); one {size} px preview render"
            f" {one * 1000:4.0f} ms ({torch.get_num_threads()} threads)"
        )


if __name__ == "__main__":
    main()
