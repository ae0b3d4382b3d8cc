"""Process-wide CPU settings that make large-tensor inference much faster.

glibc returns every allocation above its mmap threshold (at most 32 MiB by
default) to the kernel when freed, so each 1024 px render page-faults through
gigabytes of fresh memory. Raising the mmap and trim thresholds keeps freed
blocks for reuse: measured about 1.3x to 2.4x faster generator passes on our
2-core CPU. The cost is that the process keeps its peak memory mapped.
Set ``E4S_KEEP_MALLOC=1`` to leave the allocator alone.
"""

import ctypes
import logging
import os
import platform
from collections.abc import Iterator
from contextlib import contextmanager

import torch

log = logging.getLogger(__name__)

_M_TRIM_THRESHOLD = -1  # mallopt parameter ids from <malloc.h>
_M_MMAP_THRESHOLD = -3
_LARGE = 2**31 - 1  # the largest value mallopt's int argument takes
_tuned = False
SMALL_MODEL_RESOLUTION = 256  # up to this size, background renders run best on one thread


def tune_cpu_allocator() -> bool:
    """Raise glibc's mmap/trim thresholds once per process; True if they are (now) raised."""
    global _tuned
    if _tuned:
        return True
    if os.environ.get("E4S_KEEP_MALLOC") or platform.system() != "Linux":
        return False
    if platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        _tuned = bool(libc.mallopt(_M_MMAP_THRESHOLD, _LARGE) and libc.mallopt(_M_TRIM_THRESHOLD, _LARGE))
    except (OSError, AttributeError) as error:
        log.info("could not tune the allocator: %s", error)
    return _tuned


@contextmanager
def intra_op_threads(count: int | None) -> Iterator[None]:
    """Run the block's torch ops with ``count`` intra-op threads (None: as they are), then restore."""
    if count is None:
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def background_render_threads(model) -> int | None:
    """Intra-op threads for renders on a background (non-main) thread, None to leave them.

    Measured on our 2-core CPU, off the main thread: the 256 px default model renders in
    ~105 ms with two intra-op threads but ~60 ms with one (its many small ops lose more to
    thread hand-offs than they gain), while the 1024 px authors' model is the other way round
    (~410 ms with two, ~640 ms with one). On the main thread two threads win for both, but
    the app renders with this count everywhere so that results match bit for bit.
    """
    if model.device.type != "cpu" or model.resolution > SMALL_MODEL_RESOLUTION:
        return None
    return 1
