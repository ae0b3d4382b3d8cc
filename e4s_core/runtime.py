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
import threading
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


class IntraOpThreads:
    """The one owner of torch's intra-op thread count in the engine and the app.

    Renders must run with the same count wherever they run (it changes float rounding: a
    project replayed headless must give the window's pixels bit for bit), and the count is
    shared state: ``torch.set_num_threads`` sets the calling thread's OpenMP count and the
    default that threads started later begin with. So blocks that ask for the same count run
    side by side, a block that asks for another count waits until they have all left, and
    each thread puts its own count back when its outermost block ends. A block must not wait
    on another thread's block (that could wait forever); nesting the same count is fine, and
    nesting another count on one thread is an error. Benchmarks and tests may set the count
    for the whole process before they start; nothing in ``e4s_core`` or ``app`` calls
    ``torch.set_num_threads`` but this class.
    """

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._count: int | None = None  # the count the blocks inside asked for
        self._inside = 0  # outermost blocks inside, over all threads
        self._this_thread = threading.local()  # .count: what this thread's blocks hold

    @contextmanager
    def use(self, count: int | None) -> Iterator[None]:
        """Run the block with ``count`` intra-op threads (None: as they are, taking no part)."""
        if count is None:
            yield
            return
        if count < 1:
            raise ValueError(f"intra-op thread count must be 1 or more, got {count}")
        held = getattr(self._this_thread, "count", None)
        if held is not None:  # a block of this thread is already inside
            if held != count:  # waiting for our own block to leave would never end
                raise RuntimeError(f"a block asked for {count} intra-op threads inside one that holds {held}")
            yield
            return
        with self._condition:
            self._condition.wait_for(lambda: self._inside == 0 or self._count == count)
            self._inside += 1
            self._count = count
        previous = torch.get_num_threads()
        torch.set_num_threads(count)
        self._this_thread.count = count
        try:
            yield
        finally:
            self._this_thread.count = None
            torch.set_num_threads(previous)
            with self._condition:
                self._inside -= 1
                if self._inside == 0:
                    self._count = None
                    self._condition.notify_all()

    def set_default(self, count: int) -> None:
        """The count outside every block: e.g. a worker process taking its driver's, so that what
        it computes outside blocks (encoding) rounds as the driver's would."""
        if count < 1:
            raise ValueError(f"intra-op thread count must be 1 or more, got {count}")
        with self._condition:
            self._condition.wait_for(lambda: self._inside == 0)
            torch.set_num_threads(count)

    @property
    def count(self) -> int | None:
        """The count blocks are running with now, None when no block is inside."""
        with self._condition:
            return self._count


INTRA_OP_THREADS = IntraOpThreads()
intra_op_threads = INTRA_OP_THREADS.use


def background_threads(model) -> int | None:
    """Intra-op threads for model work off the main thread (renders, studio fits); None: leave them.

    Measured on our 2-core CPU, off the main thread: the 256 px default model renders in
    ~105 ms with two intra-op threads but ~60 ms with one (its many small ops lose more to
    thread hand-offs than they gain), while the 1024 px authors' model is the other way round
    (~410 ms with two, ~640 ms with one). On the main thread two threads win for both, but
    every render uses this count so that results match bit for bit wherever they run.
    """
    if model.device.type != "cpu" or model.resolution > SMALL_MODEL_RESOLUTION:
        return None
    return 1
