"""Data parallelism under ``torchrun``: NCCL across GPUs, gloo across CPU processes.

``Distributed.from_environment()`` reads the variables torchrun sets (RANK, WORLD_SIZE,
LOCAL_RANK); without them it is a single process and every method is a no-op.
"""

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel


@dataclass
class Distributed:
    rank: int
    world_size: int
    local_rank: int
    device: torch.device

    @classmethod
    def single(cls, device: torch.device | str | None = None) -> "Distributed":
        return cls(0, 1, 0, torch.device(device or "cpu"))

    @classmethod
    def from_environment(cls, device: str | None = None) -> "Distributed":
        """Join torchrun's process group (if any); ``device`` 'cuda' / 'cpu' / None = CUDA if present."""
        want_cuda = torch.cuda.is_available() if device is None else device.startswith("cuda")
        if "WORLD_SIZE" not in os.environ or int(os.environ["WORLD_SIZE"]) == 1:
            return cls.single("cuda" if want_cuda else "cpu")
        rank, world, local = (int(os.environ[k]) for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK"))
        if want_cuda:
            torch.cuda.set_device(local)
            target = torch.device("cuda", local)
        else:
            target = torch.device("cpu")
        if not dist.is_initialized():
            dist.init_process_group(backend="nccl" if want_cuda else "gloo")
        return cls(rank, world, local, target)

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def active(self) -> bool:
        return self.world_size > 1

    def wrap(self, module: nn.Module) -> nn.Module:
        """DDP around ``module`` when several processes train; the module itself otherwise."""
        if not self.active:
            return module
        device_ids = [self.device.index] if self.device.type == "cuda" else None
        return DistributedDataParallel(module, device_ids=device_ids, broadcast_buffers=False)

    def barrier(self) -> None:
        if self.active:
            dist.barrier()

    def close(self) -> None:
        if self.active and dist.is_initialized():
            dist.destroy_process_group()
