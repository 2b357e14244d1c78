"""Per-core chunking of example-independent work on CPU (attacks, the Lipschitz estimate).

On a few CPU cores a small convolutional network runs faster on small chunks of a batch (a chunk's
activations stay in cache) given to one single-threaded worker per core than on the whole batch with
intra-op threads: PGD-40 on MNIST SmallCNN, 2 cores, went from about 4.5 s to about 3.1 s per 256 images
(measured 2026-11-23; ``benchmarks/training.py`` prints the current figure). :func:`map_chunks` does that
for any function whose examples do not interact (a model in eval mode: no batch statistics, no dropout).

Chunks are fixed by position (their size depends only on the batch size and the thread count), each is
computed by one thread, so the result does not depend on scheduling. Grad mode and CPU autocast, which are
thread-local in PyTorch, are carried into the workers. On other devices, or for a batch of one chunk, the
function runs once on the whole input.
"""
from __future__ import annotations

import contextlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Iterator

import torch

CHUNK = 32  # examples per chunk: the fastest of 32/64/128 for MNIST SmallCNN on this machine
MIN_CHUNK = 4  # with many cores, chunks shrink to give every core work, but not below this

_local = threading.local()
_pools: dict[tuple[int, int], ThreadPoolExecutor] = {}


def _pool(workers: int) -> ThreadPoolExecutor:
    key = (os.getpid(), workers)  # a pool never crosses a fork
    if key not in _pools:
        _pools[key] = ThreadPoolExecutor(workers, thread_name_prefix="reprolib-chunk")
    return _pools[key]


def _take(obj: Any, sl: slice) -> Any:
    """Rows ``sl`` of every tensor in ``obj`` (a tensor, or a tuple/list of them); anything else as is."""
    if isinstance(obj, torch.Tensor):
        return obj[sl]
    if isinstance(obj, (tuple, list)):
        return type(obj)(_take(o, sl) for o in obj)
    return obj


def _cat(parts: list[Any]) -> Any:
    first = parts[0]
    if isinstance(first, torch.Tensor):
        return torch.cat(parts)
    if isinstance(first, (tuple, list)):
        return type(first)(_cat([p[i] for p in parts]) for i in range(len(first)))
    return first  # None or a constant: the same for every chunk


def map_chunks(fn: Callable[..., Any], *args: Any, chunk: int | None = None) -> Any:
    """``fn(*args)`` computed chunk by chunk along the first dimension of ``args[0]``, outputs concatenated.

    Every tensor in ``args`` (nested in tuples/lists too) is sliced to the chunk; ``fn`` must treat examples
    independently. Outputs may be tensors, tuples/lists of tensors, or ``None``.
    """
    chunk = CHUNK if chunk is None else chunk
    if chunk < 1:
        raise ValueError(f"chunk={chunk!r} must be >= 1")
    lead = args[0]
    n, threads = len(lead), torch.get_num_threads()
    chunk = max(MIN_CHUNK, min(chunk, -(-n // threads)))  # many cores: smaller chunks, so that each gets one
    if lead.device.type != "cpu" or n <= chunk:
        return fn(*args)
    pieces = [tuple(_take(a, slice(i, i + chunk)) for a in args) for i in range(0, n, chunk)]
    workers = min(threads, len(pieces))
    if workers <= 1 or getattr(_local, "inside", False):
        return _cat([fn(*p) for p in pieces])
    grad, autocast = torch.is_grad_enabled(), torch.is_autocast_enabled("cpu")
    dtype = torch.get_autocast_dtype("cpu")

    def run(p):
        _local.inside = True  # no nested pools from inside a worker
        with torch.set_grad_enabled(grad), torch.autocast("cpu", dtype=dtype, enabled=autocast):
            return fn(*p)

    with limited_threads(1):
        return _cat(list(_pool(workers).map(run, pieces)))


@contextlib.contextmanager
def limited_threads(threads: int | None) -> Iterator[None]:
    """Run the block on ``threads`` intra-op threads of this process (restored afterwards; ``None``: unchanged)."""
    if threads is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@contextlib.contextmanager
def process_group() -> Iterator[int]:
    """Join the ``torch.distributed`` process group of this process's environment (RANK, WORLD_SIZE, MASTER_ADDR,
    ...; nccl with one GPU per process, gloo on the CPU) for the block and leave it cleanly: a barrier, then
    destroy (a process that exits with gloo threads alive aborts). Yields the rank."""
    import torch.distributed as dist

    from .train import default_device

    device = default_device()
    if device.type == "cuda":
        torch.cuda.set_device(device)
    dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    try:
        yield dist.get_rank()
        dist.barrier()
    finally:
        dist.destroy_process_group()
