"""The book's kept networks: written once when a run at a kept budget is stored, named with their hash in the run
record, loadable by name, and the loaded network is the one that was measured."""
import pytest

from reprolib import grid, metrics, profiles, results, zoo
from reprolib.errors import ConfigError


@pytest.fixture
def kept_grid(tmp_path, monkeypatch):
    monkeypatch.setenv("REPROLIB_RESULTS", str(tmp_path / "results"))
    monkeypatch.setenv("REPROLIB_ARTIFACTS", str(tmp_path / "art"))
    g = grid.MethodGrid("demo.zoo", {"Natural": {"method": "natural"}, "AT": {"method": "at"}})
    cfg = profiles.resolve("closer_look/table2", "smoke", methods=["Natural"], n_train=128, n_eval_train=0,
                           n_eval_test=64, lip_steps=0, audit_methods=[], archs=["CNN1"], attack_steps=2)
    cfg["methods"] = ["Natural", "AT"]
    return g, cfg, tmp_path


def test_a_kept_network_loads_by_name_and_reproduces_its_stored_accuracy(kept_grid):
    g, cfg, tmp_path = kept_grid
    assert not g.stored(cfg, "full")
    out = g.compute(cfg, "full", progress=False)
    assert g.stored(cfg, "full")  # the weights are part of what a kept budget stores
    x, y = grid.test_set(cfg)
    for row in out["rows"]:
        model = zoo.load("demo.zoo", row["method"])
        assert metrics.accuracy(model, x, y) == row["test_acc"]
    rec = zoo.find("demo.zoo", "AT")
    w = rec["weights"]
    assert w["file"].endswith("zoo@full/CNN1-AT-s0.safetensors") and len(w["sha256"]) == 64 and w["bytes"] > 0
    # a second run reuses the file and its attachment; nothing is rewritten
    before = (tmp_path / "weights" / "demo" / "zoo@full" / "CNN1-AT-s0.safetensors").stat().st_mtime_ns
    g.compute(cfg, "full", progress=False)
    assert (tmp_path / "weights" / "demo" / "zoo@full" / "CNN1-AT-s0.safetensors").stat().st_mtime_ns == before


def test_a_changed_weights_file_or_an_unknown_name_is_refused(kept_grid):
    g, cfg, tmp_path = kept_grid
    g.compute(cfg, "full", progress=False)
    with pytest.raises(ConfigError, match="no kept network 'TRADES' .*kept: AT \\(CNN1, seed 0\\), Natural"):
        zoo.load("demo.zoo", "TRADES")
    path = tmp_path / "weights" / "demo" / "zoo@full" / "CNN1-Natural-s0.safetensors"
    data = bytearray(path.read_bytes())
    data[-1] ^= 1
    path.write_bytes(bytes(data))
    with pytest.raises(ConfigError, match="does not match the sha256"):
        zoo.load("demo.zoo", "Natural")


def test_other_budgets_keep_no_weights(kept_grid):
    g, cfg, tmp_path = kept_grid
    g.compute(cfg, "smoke", progress=False)
    assert not (tmp_path / "weights").exists()
    assert all("weights" not in results.read_record(p) for p in g.run_paths(cfg, "smoke"))


def _committed_kept_runs():
    from reprolib.paths import REPO_ROOT

    return [p for kept in zoo.KEPT for p in sorted((REPO_ROOT / "results").glob(f"*/*@{kept}/*.json"))
            if "weights" in results.read_record(p)]


@pytest.mark.parametrize("path", _committed_kept_runs(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_committed_network_loads_and_reproduces_its_stored_clean_accuracy(path):
    rec = results.read_record(path)
    artifact = f"{path.parent.parent.name}.{path.parent.name.split('@')[0]}"
    model = zoo.load(artifact, rec["method"], arch=rec["arch"], seed=rec["seed"], profile=rec["profile"],
                     root=path.parent.parent.parent)  # the committed store (the tests' own is a scratch folder)
    measured, stored = _grid_of(artifact).reproduced(model, rec)
    assert measured == stored


def _grid_of(artifact: str) -> grid.MethodGrid:
    from reprolib import sections

    return next(g for s in sections.registry().values() if s.sweep for g in s.sweep.grids if g.store == artifact)


def test_table3s_kept_networks_load_and_reproduce_their_stored_error(tmp_path, monkeypatch):
    """TRADES Table 3 keeps its networks as every grid does: scalar-score nets, found by row name."""
    from reprolib.papers.trades import tightness

    monkeypatch.setenv("REPROLIB_RESULTS", str(tmp_path / "results"))
    monkeypatch.setenv("REPROLIB_ARTIFACTS", str(tmp_path / "art"))
    cfg = profiles.resolve("trades/table3", "smoke", lams=[2.0], n_train=200, n_test=100, n_audit=4, epochs=1,
                           curve_n=20)
    tightness.compute_table3(cfg, "full", progress=False)
    for method in ("Natural", "TRADES(λ=2)"):
        rec = zoo.find("trades.table3", method, seed=1)
        kept = zoo.path_for("trades.table3", "full", "Net_binary", method, 1)
        assert rec["arch"] == "Net_binary" and rec["weights"]["file"].endswith(f"table3@full/{kept.name}")
        measured, stored = _grid_of("trades.table3").reproduced(zoo.load("trades.table3", method, seed=1), rec)
        assert measured == stored
