import pytest
import torch

from reprolib import attacks, models, parallel


def test_map_chunks_slices_nested_inputs_and_concatenates_outputs():
    x = torch.arange(100.0).view(100, 1)
    y = torch.arange(100)
    seen = []

    def fn(a, target, scale):
        seen.append(len(a))
        labels, extra = target
        assert torch.equal(a[:, 0].long(), labels) and torch.equal(extra, labels * 2)
        return a * scale, None

    out, none = parallel.map_chunks(fn, x, (y, y * 2), 3.0, chunk=32)
    assert torch.equal(out, x * 3) and none is None
    assert sum(seen) == 100 and max(seen) <= 32 and len(seen) >= 4


def test_workers_keep_grad_mode_and_autocast_and_threads_are_restored():
    threads = torch.get_num_threads()
    if threads < 2:
        pytest.skip("needs 2 intra-op threads to use workers")
    x = torch.randn(64, 4)

    def fn(a):
        assert torch.get_num_threads() == 1
        return torch.full((len(a),), float(torch.is_grad_enabled())), (a @ a.T[:, :1]).to(torch.float32), \
            torch.full((len(a),), float(torch.is_autocast_enabled("cpu")))

    with torch.no_grad():
        grad, _, _ = parallel.map_chunks(fn, x, chunk=16)
    assert not grad.any()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        _, _, ac = parallel.map_chunks(fn, x, chunk=16)
    assert ac.all()
    assert torch.get_num_threads() == threads


def test_chunked_pgd_matches_one_batch(monkeypatch):
    torch.manual_seed(0)
    model = models.build("CNN1").eval()
    x, y = torch.rand(96, 1, 28, 28), torch.randint(0, 10, (96,))
    torch.manual_seed(1)
    chunked = attacks.pgd(model, x, y, eps=0.3, steps=5, step_size=0.05)
    monkeypatch.setattr(parallel, "CHUNK", 10_000)
    torch.manual_seed(1)
    whole = attacks.pgd(model, x, y, eps=0.3, steps=5, step_size=0.05)
    # the same algorithm; float summation order differs, which can flip the sign of a tiny gradient entry
    assert (chunked - whole).abs().gt(1e-5).float().mean() < 1e-3
