"""Shared fixtures. Tests never write into the committed results/ or artifacts/: both point to a
session temporary folder. The data cache is shared (read-only use; `make data` fills it)."""
import os
import tempfile
from pathlib import Path

import pytest
import torch

_TMP = Path(tempfile.mkdtemp(prefix="reprolib-tests-"))
os.environ["REPROLIB_RESULTS"] = str(_TMP / "results")
os.environ["REPROLIB_ARTIFACTS"] = str(_TMP / "artifacts")
# Under pytest-xdist the cores are shared out between the workers (and the notebook kernels and subprocesses they
# start inherit it): two workers of two intra-op threads each on two cores wait on each other far more than they
# compute (reprolib.autoattack's docstring has the measurements).
_WORKERS = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
if _WORKERS > 1 and "OMP_NUM_THREADS" not in os.environ:
    os.environ["OMP_NUM_THREADS"] = str(max(1, (os.cpu_count() or 1) // _WORKERS))
torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", torch.get_num_threads())))


@pytest.fixture(scope="session")
def spec_text() -> str:
    """The text of ``../shared/REPRO_SPEC.md`` (the papers' numbers); tests comparing against it skip without it."""
    spec = Path(__file__).resolve().parents[1].parent / "shared" / "REPRO_SPEC.md"
    if not spec.exists():
        pytest.skip(f"{spec} not present in this checkout")
    return spec.read_text()


@pytest.fixture(scope="session")
def session_tmp() -> Path:
    return _TMP


@pytest.fixture(scope="session")
def mnist_small():
    """2,000 training and 500 test MNIST images as floats in [0, 1]."""
    from reprolib import data

    train = data.load("mnist", "train").subset(2000, seed=0)
    test = data.load("mnist", "test").subset(500, seed=0)
    return train.float(), train.y, test.float(), test.y


@pytest.fixture(scope="session")
def trained_cnn(mnist_small):
    """A StdCNN trained naturally (Adam, 4 epochs) on 2,000 images: seconds, ~94% test accuracy."""
    from reprolib import losses, models
    from reprolib.train import TrainConfig, fit

    x, y, _, _ = mnist_small
    torch.manual_seed(0)
    model = models.build("StdCNN")
    fit(model, x, y, loss_fn=losses.build("natural"), cfg=TrainConfig(epochs=4, batch_size=32, lr=2e-3, optimizer="adam"),
        progress=False)
    model.zero_grad(set_to_none=True)
    return model.eval()


@pytest.fixture(scope="session")
def smoke_book(session_tmp, tmp_path_factory):
    """A copy of the book's sources with every section's notebook executed at the smoke profile, once per run: the
    tests that read it go to one worker (``--dist loadfile``); a second worker asking for it fails at once rather
    than executing every notebook again (the workers of a run share the parent of their temporary folders)."""
    import shutil

    from reprolib import pipeline
    from reprolib.paths import REPO_ROOT

    if os.environ.get("PYTEST_XDIST_WORKER"):
        marker = tmp_path_factory.getbasetemp().parent / "smoke-book-built-by"
        try:
            with open(marker, "x") as f:
                f.write(os.environ["PYTEST_XDIST_WORKER"])
        except FileExistsError:
            pytest.fail(f"the smoke book is already built by worker {marker.read_text()}: the tests that read it "
                        "must run on one worker (pytest's --dist loadfile, tests/test_book.py)")
    root = session_tmp / "book_src"
    shutil.copytree(REPO_ROOT / "book", root / "book", ignore=shutil.ignore_patterns("executed"))
    for name in ("_config.yml", "_toc.yml"):
        shutil.copy(REPO_ROOT / name, root / name)
    # two kernels at a time (each on one thread under xdist): the rest of the suite runs beside them on the other
    # worker only for the first part of the book's execution
    pipeline.execute_all(pipeline.all_sections(), profile="smoke", out_dir=root / "book" / "executed", workers=2)
    return root
