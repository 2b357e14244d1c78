import os
import shutil

import pytest
import torch

from reprolib import data
from reprolib.errors import ConfigError, DataError


@pytest.mark.parametrize("name", ["mnist", "fashion_mnist"])
def test_offline_datasets_shapes_counts_and_range(name):
    train, test = data.load(name, "train"), data.load(name, "test")
    assert train.x.shape == (60000, 1, 28, 28) and test.x.shape == (10000, 1, 28, 28)
    assert train.x.dtype == torch.uint8 and train.y.dtype == torch.int64
    assert len(train) == 60000 and len(test) == 10000
    assert torch.bincount(train.y).tolist() == (
        [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949] if name == "mnist" else [6000] * 10)
    assert int(train.x.max()) == 255 and int(train.x.min()) == 0
    xf = test.float()
    assert xf.dtype == torch.float32 and 0.0 <= float(xf.min()) and float(xf.max()) == 1.0


def test_mnist_pixels_are_exact_uint8():
    # The source stores uint8/256; we recover integers and rescale by 1/255 like torchvision.
    x = data.load("mnist", "test").float()
    assert torch.equal(torch.round(x * 255), x * 255)


def test_subset_is_balanced_and_seeded():
    train = data.load("mnist", "train")
    a, b = train.subset(1000, seed=3), train.subset(1000, seed=3)
    assert torch.equal(a.x, b.x)
    assert torch.bincount(a.y).tolist() == [100] * 10
    assert not torch.equal(a.x, train.subset(1000, seed=4).x)


@pytest.fixture
def private_cache(tmp_path, monkeypatch):
    src = data.data_dir() / "mnist"
    dst = tmp_path / "mnist"
    shutil.copytree(src, dst)
    monkeypatch.setenv("REPROLIB_DATA", str(tmp_path))
    return dst / "test.pt"


def test_corrupt_cache_is_detected(private_cache):
    blob = torch.load(private_cache, weights_only=True)
    blob["x"][0, 0, 0, 0] ^= 1  # flip one bit of one pixel
    torch.save(blob, private_cache)
    with pytest.raises(DataError, match="sha256 mismatch"):
        data.load("mnist", "test")


def test_truncated_cache_is_detected(private_cache):
    size = os.path.getsize(private_cache)
    with open(private_cache, "r+b") as f:
        f.truncate(size // 2)
    with pytest.raises(DataError, match="corrupt data cache"):
        data.load("mnist", "test")


def test_unknown_dataset_and_split():
    with pytest.raises(ConfigError, match="unknown dataset 'mnist2'"):
        data.load("mnist2")
    with pytest.raises(ConfigError, match="unknown split 'val'"):
        data.load("mnist", "val")


def test_online_only_dataset_fails_offline_with_clear_message(tmp_path, monkeypatch):
    import torchvision

    def offline(*args, **kwargs):
        raise OSError("network unreachable")

    monkeypatch.setenv("REPROLIB_DATA", str(tmp_path))
    monkeypatch.setattr(torchvision.datasets, "CIFAR10", offline)
    with pytest.raises(DataError, match="not available offline"):
        data.load("cifar10", "test")
