"""The GPU code path that the `paper` profile takes (book/rerun.md: "With a GPU, the `paper` profile trains on it
(`cuda:LOCAL_RANK`)"): device placement, one short TRADES training and one PGD attack on CUDA, checkpoint resume
on CUDA, and DistributedDataParallel over nccl when two GPUs exist.

Every test here is marked ``gpu`` and skipped when ``torch.cuda.is_available()`` is False (run them on a GPU
machine with ``pytest -m gpu``). The data are synthetic (a fixed random prototype image per class plus noise),
so the tests need no dataset; the numbers are small enough to take seconds on one GPU.
"""
import math
import os

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn.functional as F

from reprolib import attacks, losses, metrics, models
from reprolib.train import TrainConfig, default_device, fit

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(),
                       reason="needs a CUDA GPU (torch.cuda.is_available() is False on this machine)"),
]

EPS = 0.1  # L-inf radius (pixels in [0, 1])


def _digits(n: int, device, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` 1x28x28 images in [0, 1] of 10 learnable classes: a fixed random binary prototype per class, dimmed,
    plus uniform noise. The prototypes are the same for every seed; ``seed`` draws the labels and the noise."""
    protos = (torch.rand(10, 1, 28, 28, generator=torch.Generator().manual_seed(1234)) > 0.7).float()
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 10, (n,), generator=g)
    x = (0.7 * protos[y] + 0.3 * torch.rand(n, 1, 28, 28, generator=g)).clamp(0, 1)
    return x.to(device), y.to(device)


def _on(model: torch.nn.Module, device: torch.device) -> bool:
    return all(t.device == device for t in [*model.parameters(), *model.buffers()])


@pytest.fixture(scope="module")
def device() -> torch.device:
    dev = default_device()  # what closer_look's training picks: cuda:<LOCAL_RANK>
    assert dev.type == "cuda", dev
    return dev


@pytest.fixture(scope="module")
def trades_trained(device):
    """SmallCNN trained on CUDA with TRADES (beta = 6, 5 KL steps of 0.02 in an eps = 0.1 ball), 4 epochs."""
    torch.manual_seed(0)
    model = models.build("SmallCNN").to(device)
    x, y = _digits(1024, device)
    loss_fn = losses.build("trades", eps=EPS, steps=5, step_size=0.02, beta=6.0)
    hist = fit(model, x, y, loss_fn=loss_fn, cfg=TrainConfig(epochs=4, batch_size=64, lr=0.05), progress=False)
    model.zero_grad(set_to_none=True)
    return model, hist


def test_trades_training_on_cuda(trades_trained, device):
    model, hist = trades_trained
    assert _on(model, device), "fit moved parameters or buffers off the GPU"
    conv = model.features[0].weight
    assert conv.is_contiguous(memory_format=torch.channels_last)  # fit's NHWC layout applies on the GPU too
    assert [e["epoch"] for e in hist.epochs] == [1, 2, 3, 4]
    for e in hist.epochs:
        assert math.isfinite(e["ce"]) and math.isfinite(e["kl"]) and e["kl"] >= 0, e
    # SmallCNN's last layer starts at zero (CE = ln 10 on the first batch): the loss must come down.
    assert hist.epochs[-1]["ce"] < hist.epochs[0]["ce"] and hist.epochs[-1]["ce"] < math.log(10) - 0.5, hist.epochs
    x_test, y_test = _digits(512, device, seed=1)
    assert metrics.accuracy(model, x_test, y_test) > 0.5


def test_pgd_on_cuda_stays_in_the_ball_and_on_the_device(trades_trained, device):
    model, _ = trades_trained
    x, y = _digits(256, device, seed=2)
    x_orig = x.clone()
    was_training = model.training
    x_adv = attacks.pgd(model, x, y, eps=EPS, steps=10, step_size=0.02)
    assert x_adv.device == x.device and x_adv.dtype == x.dtype and x_adv.shape == x.shape
    assert not x_adv.requires_grad
    assert torch.equal(x, x_orig), "the attack modified its input"
    assert (x_adv - x).abs().max().item() <= EPS + 1e-6
    assert x_adv.min().item() >= 0 and x_adv.max().item() <= 1
    assert all(p.grad is None for p in model.parameters()), "the attack left gradients on the parameters"
    assert model.training == was_training
    with torch.no_grad(), attacks.eval_mode(model):
        assert F.cross_entropy(model(x_adv), y) > F.cross_entropy(model(x), y)
    # The evaluation the paper profile runs after training (closer_look's row), on the GPU.
    row = metrics.evaluate(model, (x[:128], y[:128]), (x[128:], y[128:]), eps=EPS, steps=5, step_size=0.02,
                           lip_steps=2, lip_step_size=EPS / 5)
    for key in ("train_acc", "test_acc", "adv_train_acc", "adv_test_acc"):
        assert 0 <= row[key] <= 1, row
    assert math.isfinite(row["lipschitz"]) and math.isfinite(row["lipschitz_c1"]), row


def _run(device, ckpt, *, arch, loss_fn, stop=None):
    x, y = _digits(512, device, seed=3)
    torch.manual_seed(123)
    model = models.build(arch).to(device)
    hist = fit(model, x, y, loss_fn=loss_fn, cfg=TrainConfig(epochs=2, batch_size=64, lr=0.05, seed=1),
               checkpoint=ckpt, progress=False, stop_after_epoch=stop)
    return model, hist


@pytest.fixture
def deterministic_cudnn():
    saved = torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark
    torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = True, False
    yield
    torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = saved


def test_checkpoint_resume_on_cuda(device, tmp_path, deterministic_cudnn):
    """As tests/test_train.py on the CPU: a run "killed" after epoch 1 resumes from its checkpoint at epoch 2 and
    ends where an uninterrupted run ends. Natural training without dropout draws no CUDA random numbers, so the
    two runs do the same arithmetic."""
    kw = {"arch": "CNN2-nodropout", "loss_fn": losses.build("natural")}
    straight, _ = _run(device, tmp_path / "a.pt", **kw)
    _, first = _run(device, tmp_path / "b.pt", stop=1, **kw)
    assert len(first.epochs) == 1 and first.resumed_from == 0
    state = torch.load(tmp_path / "b.pt", weights_only=False)
    assert state["epoch"] == 1 and all(t.device.type == "cuda" for t in state["model"].values())
    resumed, hist = _run(device, tmp_path / "b.pt", **kw)
    assert hist.resumed_from == 1 and [e["epoch"] for e in hist.epochs] == [1, 2]
    assert hist.epochs[0] == first.epochs[0]
    assert _on(resumed, device)
    assert torch.load(tmp_path / "b.pt", weights_only=False)["epoch"] == 2
    for (name, p), q in zip(straight.state_dict().items(), resumed.state_dict().values()):
        assert torch.allclose(p, q, atol=1e-5, rtol=0), name
    assert not list(tmp_path.glob("*.tmp"))


def test_checkpoint_resume_on_cuda_with_dropout_and_trades_reaches_the_same_weights(device, tmp_path,
                                                                                    deterministic_cudnn):
    kw = {"arch": "SmallCNN", "loss_fn": losses.build("trades", eps=EPS, steps=2, step_size=0.05, beta=1.0)}
    straight, _ = _run(device, tmp_path / "a.pt", **kw)
    _run(device, tmp_path / "b.pt", stop=1, **kw)
    resumed, hist = _run(device, tmp_path / "b.pt", **kw)
    assert hist.resumed_from == 1
    for (name, p), q in zip(straight.state_dict().items(), resumed.state_dict().values()):
        assert torch.allclose(p, q, atol=1e-5, rtol=0), name


# ----------------------------------------------------------------------------- DDP over nccl (2 GPUs)

# the same small problem as the gloo test, so that both backends are checked on one reference
from test_ddp import CFG as DDP_CFG, _data as _ddp_data, _model as _ddp_model  # noqa: E402



def _nccl_worker(rank, world, init_file, out):
    """One process per GPU, set up as ``python -m reprolib`` does under torchrun (device, then nccl)."""
    os.environ["LOCAL_RANK"] = str(rank)
    device = default_device()
    assert device == torch.device("cuda", rank), device
    torch.cuda.set_device(device)
    dist.init_process_group("nccl", init_method=f"file://{init_file}", rank=rank, world_size=world)
    try:
        model = _ddp_model().to(device)
        x, y = (t.to(device) for t in _ddp_data())
        fit(model, x, y, loss_fn=losses.build("natural"), cfg=DDP_CFG, progress=False)
        assert _on(model, device)
        if rank == 0:
            torch.save({k: v.cpu() for k, v in model.state_dict().items()}, out)
        dist.barrier()
    finally:
        dist.destroy_process_group()


def test_two_process_nccl_ddp_matches_single_gpu(tmp_path, device):
    if torch.cuda.device_count() < 2:
        pytest.skip(f"needs 2 GPUs for a 2-process nccl DDP training ({torch.cuda.device_count()} visible)")
    if not dist.is_available() or not dist.is_nccl_available():
        pytest.skip("this torch build has no nccl backend")
    single = _ddp_model().to(device)
    x, y = (t.to(device) for t in _ddp_data())
    fit(single, x, y, loss_fn=losses.build("natural"), cfg=DDP_CFG, progress=False)
    out = tmp_path / "ddp.pt"
    mp.spawn(_nccl_worker, args=(2, str(tmp_path / "init"), str(out)), nprocs=2, join=True)
    ddp = torch.load(out, weights_only=True)
    for name, p in single.state_dict().items():
        assert torch.allclose(p.cpu(), ddp[name], atol=1e-4), name
