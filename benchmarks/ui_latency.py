"""Start-up times, and stroke end -> preview on screen, in the real window (offscreen), on the CPU.

    python benchmarks/ui_latency.py [--repeats 10] [--starts 3]

Start-up: ``e4s-studio astronaut.png`` as a user starts it (a fresh process, fresh settings, the
bundled model), timed from the moment the process is spawned to the splash on screen, the
window on screen, and the first full result in the window.

Opens the astronaut photo in the studio window, paints strokes on the mask canvas
with synthetic mouse events and measures the time from the mouse release to the
moment the result view shows a render requested after the release. A preview
started at the stroke's first press is still running then, so the figure is
about one to two preview renders; the time of one preview render is printed too. Two models: the
shipped default model (256 px) and the authors' configuration (1024 px, random weights; speed
does not depend on the values; its preview is the 256 px stage).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from PySide6.QtCore import QEvent, QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from photos import astronaut  # noqa: E402
from studio_helpers import send_mouse  # noqa: E402

from app.studio.main_window import MainWindow  # noqa: E402
from app.studio.models.document import Document, FaceSource, encode_face  # noqa: E402
from app.studio.safe_work import Unsaved  # noqa: E402
from e4s_core import E4SModel, ModelInfo, load_model  # noqa: E402
from e4s_core.network import RGIConfig, RGINetwork  # noqa: E402
from e4s_core.photo.align import align_photo  # noqa: E402
from e4s_core.photo.parse import parse_face  # noqa: E402
from e4s_core.regions import LABEL_MAP_SIZE  # noqa: E402
from e4s_core.rendering import render_face  # noqa: E402
from e4s_core.runtime import tune_cpu_allocator  # noqa: E402


def measure(app, model: E4SModel, repeats: int) -> list[float]:
    settings = QSettings(tempfile.mktemp(suffix=".ini"), QSettings.Format.IniFormat)  # not the user's
    window = MainWindow(model, settings=settings)
    window.work.ask = lambda _action: Unsaved.DISCARD  # the strokes are thrown away at the end
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


def measure_startup(starts: int) -> dict[str, list[float]]:
    found: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        photo = str(Path(folder) / "astronaut.png")
        from e4s_core.photo.io import write_photo

        write_photo(astronaut(), photo)
        env = os.environ | {"XDG_CONFIG_HOME": folder, "XDG_DATA_HOME": folder}  # a first start
        for _ in range(starts):
            spawned = time.time()
            command = [sys.executable, str(Path(__file__).with_name("startup_child.py")), str(spawned), photo]
            output = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
            marks = json.loads(output.strip().splitlines()[-1])
            if marks.pop("errors"):
                raise SystemExit(f"the studio reported errors while starting: {output}")
            for name, seconds in marks.items():
                found.setdefault(name, []).append(seconds)
    return found


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--starts", type=int, default=3, help="start-ups to time (0: none)")
    args = parser.parse_args()
    if args.starts:  # (--repeats 0: start-up only)
        for name, seconds in measure_startup(args.starts).items():
            print(f"start-up, process spawned -> {name:<13}: median {statistics.median(seconds):5.2f} s,"
                  f" max {max(seconds):5.2f} s ({len(seconds)} starts)")  # fmt: skip
    if not args.repeats:
        return
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
