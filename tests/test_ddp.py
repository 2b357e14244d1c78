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
