"""Training under 2 gloo processes matches one process with the same global batch."""
import os

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from reprolib import losses, models
from reprolib.train import TrainConfig, fit

CFG = TrainConfig(epochs=2, batch_size=32, lr=0.1, seed=0)


def _data():
    g = torch.Generator().manual_seed(0)
    return torch.rand(128, 1, 4, 4, generator=g), torch.randint(0, 3, (128,), generator=g)


def _model():
    torch.manual_seed(0)
    return models.build("MLP", in_features=16, num_classes=3, width=16, depth=2)


def _worker(rank, world, init_file, out):
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world)
    try:
        model = _model()
        x, y = _data()
        fit(model, x, y, loss_fn=losses.build("natural"), cfg=CFG, progress=False)
        if rank == 0:
            torch.save(model.state_dict(), out)
    finally:
        dist.destroy_process_group()


def test_two_process_ddp_matches_single_process(tmp_path):
    if not dist.is_available():
        pytest.skip("torch.distributed is not available in this build")
    single = _model()
    x, y = _data()
    fit(single, x, y, loss_fn=losses.build("natural"), cfg=CFG, progress=False)
    out = tmp_path / "ddp.pt"
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    mp.spawn(_worker, args=(2, str(tmp_path / "init"), str(out)), nprocs=2, join=True)
    ddp = torch.load(out, weights_only=True)
    for name, p in single.state_dict().items():
        assert torch.allclose(p, ddp[name], atol=1e-5), name


def test_torchrun_compute_trains_distributed_and_rank0_writes_the_records(tmp_path):
    """`torchrun --nproc_per_node 2 -m reprolib compute ...`: both processes train together (DDP, gloo) and
    take the same branches of the results store; only rank 0 writes; the record says 2 processes."""
    import json
    import subprocess
    import sys

    env = {**os.environ, "REPROLIB_RESULTS": str(tmp_path / "results"), "REPROLIB_ARTIFACTS": str(tmp_path / "art"),
           "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           "-m", "reprolib", "compute", "closer_look/table2", "--profile", "smoke", "-p", "methods=[Natural, AT]",
           "-p", "n_train=64", "-p", "batch_size=32", "-p", "n_eval_train=16", "-p", "n_eval_test=16",
           "-p", "eval_steps=1", "-p", "lip_steps=1"]
    for attempt in ("computes", "reuses"):
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
        assert proc.stdout.count("closer_look.table2:") == 1, proc.stdout  # printed by rank 0 only
        assert ("reused" if attempt == "reuses" else "computed") in proc.stdout
    runs = sorted((tmp_path / "results" / "closer_look" / "table2@smoke").glob("*.json"))
    assert len(runs) == 2
    for path in runs:
        assert json.loads(path.read_text())["provenance"]["processes"] == 2
    assert list((tmp_path / "art").rglob("*.pt")), "rank 0 writes the training checkpoints"
