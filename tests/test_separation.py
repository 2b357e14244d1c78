import json

import numpy as np
import pytest
import torch

from reprolib import data, separation
from reprolib.errors import ConfigError
from reprolib.paths import REPO_ROOT


def _random_set(n, d, classes, seed, high=256):
    g = np.random.default_rng(seed)
    return g.integers(0, high, (n, d), dtype=np.uint8), g.integers(0, classes, n)


@pytest.mark.parametrize("seed", range(4))
def test_equals_brute_force_on_random_images(seed):
    # 16x16 images so the pooled lower bound is active; few grey levels so ties are common.
    q, qy = _random_set(70, 256, 3, seed, high=6)
    r, ry = _random_set(300, 256, 3, seed + 100, high=6)
    d, i = separation.nearest_other_label(torch.from_numpy(q), torch.from_numpy(qy), torch.from_numpy(r),
                                          torch.from_numpy(ry), progress=False, r_block=64)
    expected = separation.brute_force(q, qy, r, ry)
    assert np.array_equal(d.numpy(), expected)
    # the returned index attains the distance and has another label
    assert np.all(ry[i.numpy()] != qy)
    assert np.array_equal(np.abs(r[i.numpy()].astype(int) - q.astype(int)).max(1), expected)


def test_duplicates_ties_and_missing_other_labels():
    x = torch.tensor([[0, 0], [0, 0], [10, 0], [10, 0]], dtype=torch.uint8)
    y = torch.tensor([0, 1, 0, 0])
    d, i = separation.nearest_other_label(x, y, x, y, progress=False)
    assert d.tolist() == [0, 0, 10, 10]  # identical images with different labels are at distance 0
    only_one_label = torch.zeros(4, dtype=torch.long)
    d, i = separation.nearest_other_label(x, only_one_label, x, only_one_label, progress=False)
    assert d.tolist() == [256] * 4 and i.tolist() == [-1] * 4


def test_rejects_mismatched_inputs():
    a = torch.zeros(3, 4, dtype=torch.uint8)
    with pytest.raises(ConfigError, match="features"):
        separation.nearest_other_label(a, torch.zeros(3), torch.zeros(3, 5, dtype=torch.uint8), torch.zeros(3))
    with pytest.raises(ConfigError, match="uint8"):
        separation.nearest_other_label(a.float(), torch.zeros(3), a, torch.zeros(3))
    with pytest.raises(ConfigError, match="one entry per point"):
        separation.nearest_other_label(a, torch.zeros(2), a, torch.zeros(3))


@pytest.mark.parametrize("name, expected", [("mnist", 207), ("fashion_mnist", 82)])
def test_full_test_train_minimum_is_exact(name, expected):
    """Full data, exact: min over the 10,000 test images of the distance to another class (~15 s each)."""
    train, test = data.load(name, "train"), data.load(name, "test")
    k, i, j = separation.min_separation(test.x, test.y, train.x, train.y, progress=False)
    assert k == expected
    assert test.y[i] != train.y[j] and int((test.x[i].int() - train.x[j].int()).abs().max()) == expected


def test_min_separation_equals_brute_force():
    x, y = _random_set(300, 784, 3, 11, high=40)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    k, i, j = separation.min_separation(xt, yt, xt, yt, sample=5, progress=False)
    assert k == separation.brute_force(x, y, x, y).min()
    assert y[i] != y[j] and np.abs(x[i].astype(int) - x[j].astype(int)).max() == k


@pytest.mark.parametrize("name, train_train, test_train", [("mnist", 188, 207), ("fashion_mnist", 81, 82)])
def test_committed_separation_results_are_the_exact_values(name, train_train, test_train):
    """The published record must hold the exact minima, and its attaining pair must really be that close."""
    artifact = "closer_look/table1.json" if name == "mnist" else "cake/table2.json"
    rec = json.loads((REPO_ROOT / "results" / artifact).read_text())
    row = next(r for r in rec["rows"] if r["dataset"] == name)
    assert (row["n_train"], row["n_test"]) == (60000, 10000)
    assert (row["train_train_k"], row["test_train_k"]) == (train_train, test_train)
    train = data.load(name, "train")
    i, j = row["train_train_pair"]
    assert train.y[i] != train.y[j]
    assert int((train.x[i].int() - train.x[j].int()).abs().max()) == train_train
    assert sum(row["test_train_counts"]) == 10000 and row["test_train_counts"][test_train] >= 1
    assert not any(row["test_train_counts"][:test_train])
