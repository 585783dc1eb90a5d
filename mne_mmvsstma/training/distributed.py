"""Data-parallel training with :mod:`torch.distributed` (launched by ``torchrun``).

The estimators detect a ``torchrun`` launch from its environment variables
(``WORLD_SIZE``, ``RANK``, ``LOCAL_RANK``) and then

- join the process group (``nccl`` on CUDA, ``gloo`` on CPU);
- wrap the training forward pass in
  :class:`~torch.nn.parallel.DistributedDataParallel`, which averages the
  gradients of all processes after every backward pass;
- give every process its own shard of each epoch's permutation of the
  training windows (``batch_size`` is the *global* batch: every process
  takes ``batch_size / world_size`` windows per step), so that one step sees
  the same windows as one step of a single-process run;
- let only rank 0 write files (checkpoints, model files, tables).

On CUDA, batch normalisation is synchronised over the processes
(:class:`~torch.nn.SyncBatchNorm`); torch supports this on GPUs only, so on
CPU (``gloo``) every process normalises with the statistics of its own shard.
"""

from __future__ import annotations

import os


def world_size() -> int:
    """Number of processes of a ``torchrun`` launch (1 otherwise)."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return dist.get_world_size()
    return int(os.environ.get("WORLD_SIZE", "1"))


def rank() -> int:
    """Global rank of this process (0 outside ``torchrun``)."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return dist.get_rank()
    return int(os.environ.get("RANK", "0"))


def local_rank() -> int:
    """Rank of this process on its node (selects its GPU)."""
    return int(os.environ.get("LOCAL_RANK", "0"))


def is_main_process() -> bool:
    """True on rank 0, the only process that writes files."""
    return rank() == 0


def is_distributed() -> bool:
    """True when running in a ``torchrun`` launch of more than one process."""
    return world_size() > 1


def init_distributed(device) -> None:
    """Join the process group of a ``torchrun`` launch (no-op for one process).

    Parameters
    ----------
    device : torch.device
        The device this process trains on: ``nccl`` is used on CUDA, ``gloo``
        on CPU.
    """
    import torch.distributed as dist

    if not is_distributed() or dist.is_initialized():
        return
    if "MASTER_ADDR" not in os.environ:
        raise RuntimeError(
            "WORLD_SIZE > 1 but MASTER_ADDR is not set: launch multi-process training with "
            "torchrun (e.g. torchrun --standalone --nproc-per-node 2 -m mne_mmvsstma ...)"
        )
    backend = "nccl" if device.type == "cuda" else "gloo"
    dist.init_process_group(backend=backend)


def process_device(device):
    """The device of this process: ``cuda`` becomes ``cuda:<LOCAL_RANK>`` under torchrun."""
    import torch

    device = torch.device(device)
    if device.type == "cuda" and device.index is None and is_distributed():
        device = torch.device("cuda", local_rank())
    return device


def barrier() -> None:
    """Wait for all processes (no-op for one process)."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.barrier()


def all_mean(tensor):
    """Mean of ``tensor`` over the processes (one collective; a copy for one process)."""
    import torch.distributed as dist

    out = tensor.clone()
    if dist.is_available() and dist.is_initialized():
        dist.all_reduce(out)
        out /= dist.get_world_size()
    return out


def broadcast_buffers(module) -> None:
    """Copy rank 0's buffers (batch-norm running statistics) to every process."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        for buf in module.buffers():
            dist.broadcast(buf, 0)


def wrap_ddp(module, device):
    """Wrap ``module`` for data-parallel training (returns it unchanged for one process)."""
    import torch

    if not is_distributed():
        return module
    if device.type == "cuda":
        module = torch.nn.SyncBatchNorm.convert_sync_batchnorm(module)
        return torch.nn.parallel.DistributedDataParallel(module, device_ids=[device.index])
    return torch.nn.parallel.DistributedDataParallel(module)
