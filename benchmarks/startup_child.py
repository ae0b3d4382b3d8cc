"""One timed start of the studio, spawned by ``ui_latency.py`` (imports nothing heavy itself).

python benchmarks/startup_child.py SPAWNED_AT PHOTO      # prints one JSON line of seconds
"""

import json
import sys
import time


def main(spawned: float, photo: str) -> None:
    import app.studio.launch as launch  # what ``e4s-studio PHOTO`` imports first

    marks = {}
    show_splash = launch._splash

    def timed_splash(app):
        splash = show_splash(app)
        marks["splash"] = time.time() - spawned
        return splash

    launch._splash = timed_splash
    app, window = launch.start_studio(photo)
    app.processEvents()
    marks["window"] = time.time() - spawned
    while window.result is None and not window.errors and time.time() - spawned < 120:
        app.processEvents()
        time.sleep(0.005)
    marks["first result"] = time.time() - spawned
    window.close()
    print(json.dumps(marks | {"errors": window.errors}))


if __name__ == "__main__":
    main(float(sys.argv[1]), sys.argv[2])
