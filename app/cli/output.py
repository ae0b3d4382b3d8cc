"""How commands report on the terminal: elapsed times and step progress."""

import time


def elapsed(start: float) -> str:
    """Seconds since ``start`` (a ``time.perf_counter()`` value), as "1.23 s"."""
    return f"{time.perf_counter() - start:.2f} s"


class ProgressPrinter:
    """About ten lines per phase: step/steps, loss and the time left at the current pace."""

    def __init__(self, phase: str):
        self.phase, self.start = phase, time.perf_counter()

    def __call__(self, step: int, steps: int, loss: float) -> None:
        every = max(1, steps // 10)
        if step == 1 or step % every == 0 or step == steps:
            spent = time.perf_counter() - self.start
            eta = spent / step * (steps - step)
            print(f"{self.phase} step {step}/{steps} | loss {loss:.4f} | ETA {eta:.0f} s", flush=True)
