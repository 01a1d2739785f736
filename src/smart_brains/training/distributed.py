"""Distributed data parallel on PyTorch's own engine: everything DDP lives in this module.

Launch with ``torchrun --nproc_per_node=N -m smart_brains train ...``; torchrun sets RANK,
WORLD_SIZE and LOCAL_RANK. Backend: NCCL on CUDA, gloo on CPU. ``batch_size`` is per process:
N processes with batch B together train on exactly the N x B patches that one process with
batch N x B would see (``rank_indices``), with gradients averaged by DDP.
Only rank 0 logs, validates and writes files. If one rank fails, torchrun stops the others.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from datetime import timedelta

import torch
import torch.distributed as dist
from torch import nn


@dataclass(frozen=True)
class DistInfo:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1


def is_main_process() -> bool:
    """Whether this process speaks for the run: rank 0 under torchrun, or a plain process."""
    return os.environ.get("RANK", "0") == "0"


def init_distributed(device_type: str) -> DistInfo:
    """Join the process group torchrun describes in the environment (a no-op for one process)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return DistInfo()
    info = DistInfo(int(os.environ["RANK"]), world, int(os.environ.get("LOCAL_RANK", "0")))
    if not dist.is_initialized():
        backend = "nccl" if device_type == "cuda" else "gloo"
        if device_type == "cuda":
            torch.cuda.set_device(info.local_rank)
        dist.init_process_group(backend, timeout=timedelta(minutes=30))
    return info


def describe(info: DistInfo) -> str:
    """One line for the log: processes, nodes (torchrun agents) and backend."""
    per_node = int(os.environ.get("LOCAL_WORLD_SIZE", info.world_size))
    return (
        f"DDP: {info.world_size} processes on {info.world_size // max(per_node, 1)} node(s), "
        f"backend {dist.get_backend()}"
    )


def teardown(info: DistInfo) -> None:
    if info.enabled and dist.is_initialized():
        dist.destroy_process_group()


def rank_indices(step: int, batch: int, info: DistInfo) -> list[int]:
    """Dataset indices of this rank's share of global batch ``step``: the combined batch of all
    ranks is exactly the batch of one process with ``batch * world_size`` patches."""
    start = (step * info.world_size + info.rank) * batch
    return list(range(start, start + batch))


def wrap(
    model: nn.Module, info: DistInfo, device: torch.device, all_used: bool = True
) -> nn.Module:
    """DDP-wrap ``model`` when distributed (gradients are all-reduced in backward).

    ``all_used`` False: some parameters get no gradient in a step (deep-supervision heads of a
    run trained without deep supervision), which DDP must then look for in every step."""
    if not info.enabled:
        return model
    from torch.nn.parallel import DistributedDataParallel

    # Channels-last 1^3 kernels get gradients whose strides differ from the weights' only in
    # size-1 dimensions (the same memory order); DDP then copies those few small gradients
    # into its buckets and warns in every run. Re-striding the weights silences it but makes
    # oneDNN's steps 1.35x slower on this CPU, so the warning is the thing to drop.
    warnings.filterwarnings("ignore", message="Grad strides do not match bucket view strides")
    ids = [device.index] if device.type == "cuda" else None
    return DistributedDataParallel(model, device_ids=ids, find_unused_parameters=not all_used)


def _scalar(value: float, info: DistInfo) -> torch.Tensor:
    device = f"cuda:{info.local_rank}" if dist.get_backend() == "nccl" else "cpu"
    return torch.tensor([value], dtype=torch.float64, device=device)


def mean_over_ranks(value: float, info: DistInfo) -> float:
    """Average a Python float over all ranks (identity for one process)."""
    if not info.enabled:
        return value
    t = _scalar(value, info)
    dist.all_reduce(t)
    return float(t.item()) / info.world_size


def any_rank(flag: bool, info: DistInfo) -> bool:
    """True on every rank if ``flag`` is True on any rank (so that all stop together)."""
    if not info.enabled:
        return flag
    t = _scalar(float(flag), info)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item())


def barrier(info: DistInfo) -> None:
    if info.enabled:
        dist.barrier()
