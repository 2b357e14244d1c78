"""The book's kept networks: written once when a run at a kept budget is stored, named with their hash in the run
record, loadable by name, and the loaded network is the one that was measured."""
import time

import pytest
import torch

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


def _no_training(*args, **kwargs):
    raise AssertionError("trained a network that was already trained")


def test_a_fresh_checkout_audits_the_kept_network_without_training_it(kept_grid, monkeypatch):
    """With no checkpoint in the cache (another machine, a cleaned cache), a run's network is the kept one."""
    import shutil

    g, cfg, tmp_path = kept_grid
    out = g.compute(cfg, "full", progress=False)
    shutil.rmtree(tmp_path / "art")
    monkeypatch.setattr(grid, "fit", _no_training)
    model, hist = g.trained(cfg, "CNN1", "AT", 0)
    x, y = grid.test_set(cfg)
    assert hist is None and metrics.accuracy(model, x, y) == out["rows"][1]["test_acc"]


def test_only_the_selected_networks_are_kept(kept_grid):
    g, cfg, tmp_path = kept_grid
    cfg = {**cfg, "keep_methods": ["AT"]}
    g.compute(cfg, "full", progress=False)
    assert g.stored(cfg, "full")  # a network left out of the selection is not waited for
    assert [p.name for p in (tmp_path / "weights" / "demo" / "zoo@full").iterdir()] == ["CNN1-AT-s0.safetensors"]
    with pytest.raises(ConfigError, match="no kept network 'Natural'"):
        zoo.load("demo.zoo", "Natural")


def test_two_grids_that_train_the_same_network_share_its_training_and_its_file(kept_grid, monkeypatch):
    """cake's CNN1 rows are closer_look's at the same budget: trained once, one file in git, loadable by both
    names."""
    g, cfg, tmp_path = kept_grid
    first = g.compute(cfg, "full", progress=False)
    other = grid.MethodGrid("demo.other", {"Natural": {"method": "natural"}, "PGD-AT": {"method": "at"}})
    fit = grid.fit

    def resumed_only(*args, **kwargs):  # the loop may open the finished checkpoint, not train an epoch
        hist = fit(*args, **kwargs)
        assert hist.resumed_from == kwargs["cfg"].epochs, "trained a network that was already trained"
        return hist

    monkeypatch.setattr(grid, "fit", resumed_only)
    second = other.compute({**cfg, "methods": ["PGD-AT"]}, "full", progress=False)
    assert second["rows"][0]["test_acc"] == first["rows"][1]["test_acc"]
    assert zoo.find("demo.other", "PGD-AT")["weights"]["file"] == zoo.find("demo.zoo", "AT")["weights"]["file"]
    assert not (tmp_path / "weights" / "demo" / "other@full").exists()
    x, y = grid.test_set(cfg)
    assert metrics.accuracy(zoo.load("demo.other", "PGD-AT"), x, y) == first["rows"][1]["test_acc"]


def test_a_second_grid_takes_the_measurements_and_the_audit_of_a_network_another_grid_stored(kept_grid,
                                                                                             monkeypatch):
    """Neither evaluated nor audited twice: the second grid's record names the first's (``measured_by``), its audit
    claims carry its own row's name; to recompute is to measure again."""
    g, cfg, tmp_path = kept_grid
    first = g.compute({**cfg, "audit_methods": ["AT"]}, "full", progress=False)
    other = grid.MethodGrid("demo.other", {"Natural": {"method": "natural"}, "PGD-AT": {"method": "at"}})
    mine = {**cfg, "methods": ["PGD-AT"], "audit_methods": ["PGD-AT"]}
    with monkeypatch.context() as m:
        m.setattr(grid.MethodGrid, "_train_eval", _no_training)
        m.setattr(grid.MethodGrid, "_audit", _no_training)
        second = other.compute(mine, "full", progress=False)
    assert second["rows"][0]["test_acc"] == first["rows"][1]["test_acc"]
    rec = zoo.find("demo.other", "PGD-AT")
    assert rec["measured_by"]["artifact"] == "demo.zoo" and rec["audit"]["measured_by"]["method"] == "AT"
    ids = [c["id"] for c in rec["audit"]["claims"]]
    assert ids and all(i.startswith("demo.other.CNN1.PGD-AT.s0.") for i in ids)
    assert second["audit"]["rows"][0]["autoattack_acc"] == first["audit"]["rows"][0]["autoattack_acc"]
    again = other.compute(mine, "full", recompute=True, progress=False)
    assert "measured_by" not in zoo.find("demo.other", "PGD-AT")
    timeless = [[{k: v for k, v in r.items() if not k.endswith("_seconds")} for r in out["rows"]]
                for out in (again, second)]
    assert timeless[0] == timeless[1]


def test_half_precision_weights_are_the_measured_network(kept_grid):
    """A grid that keeps float16 weights measures its networks with their weights so rounded: the kept file is
    half the size and reproduces the stored accuracy exactly."""
    g, cfg, tmp_path = kept_grid
    out = g.compute({**cfg, "methods": ["AT"], "weights_dtype": "float16"}, "full", progress=False)
    rec = zoo.find("demo.zoo", "AT")
    assert rec["weights"]["dtype"] == "float16"
    assert rec["weights"]["bytes"] < 0.51 * 4 * rec["weights"]["parameters"]
    x, y = grid.test_set(cfg)
    assert metrics.accuracy(zoo.load("demo.zoo", "AT"), x, y) == out["rows"][0]["test_acc"]


def _kept_bytes(profile: str) -> dict[str, int]:
    """The bytes of every network that the sections' ``profile`` settings keep, by network (one file each)."""
    from reprolib import models, sections

    out = {}
    for name, spec in sections.registry().items():
        if not (spec.sweep and spec.sweep.grids and profile in profiles.available(name)):
            continue
        for method_grid, cfg in spec.sweep.grid_settings(profiles.resolve(name, profile)):
            size = 2 if cfg.get("weights_dtype") == "float16" else 4
            for arch, method, seed in method_grid.kept(cfg):
                out[method_grid.network_id(cfg, arch, method, seed)] = size * models.num_params(models.build(arch))
    return out


def test_the_networks_the_full_budget_keeps_fit_the_repositorys_weights_budget():
    kept = _kept_bytes("full")
    assert kept and sum(kept.values()) <= zoo.BUDGET_BYTES, f"{sum(kept.values()) / 1e6:.1f} MB"


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


def test_cakes_cnn1_rows_at_full_are_closer_looks_networks():
    """cake Table 3's full profile trains its CNN1 rows exactly as closer_look Table 2's (cake reuses closer_look's
    code): the same networks, trained once, kept once."""
    from reprolib import sections

    cl, cake = (sections.get(s).sweep.grids[0] for s in ("closer_look/table2", "cake/table3"))
    a, b = (profiles.resolve(s, "full") for s in ("closer_look/table2", "cake/table3"))
    for (m_cl, m_cake), seed in [(("Natural", "Natural"), 0), (("Natural", "Natural"), 1),
                                 (("TRADES(β=1)", "TRADES(1/λ=1)"), 0), (("TRADES(β=3)", "TRADES(1/λ=3)"), 0)]:
        assert (m_cl, seed) in {(m, s) for arch, m, s in grid.grid(a) if arch == "CNN1"}
        assert cl.network_id(a, "CNN1", m_cl, seed) == cake.network_id(b, "CNN1", m_cake, seed)


def test_a_grid_run_with_more_epochs_continues_the_shorter_runs_checkpoint(kept_grid, monkeypatch):
    g, cfg, tmp_path = kept_grid
    g.compute(cfg, "smoke", progress=False)
    longer = {**cfg, "epochs": cfg["epochs"] + 1}
    assert g.earlier(longer, "CNN1", "AT", 0) == [g.checkpoint(cfg, "CNN1", "AT", 0)]
    assert g.checkpoint(longer, "CNN1", "AT", 0) != g.checkpoint(cfg, "CNN1", "AT", 0)
    _, hist = g.trained(longer, "CNN1", "AT", 0, kept=False)
    assert hist.resumed_from == cfg["epochs"] and len(hist.epochs) == cfg["epochs"] + 1
    assert g.earlier({**longer, "dataset": "fashion_mnist"}, "CNN1", "AT", 0) == []


@pytest.mark.parametrize("method, name", [("TRADES(1/λ=6)", "TRADES_1_lambda=6"), ("TRADES(β=6)", "TRADES_beta=6"),
                                          ("Adv-PGD(ε=0.3)", "Adv-PGD_eps=0.3"), ("Aug-R(90°)", "Aug-R_90deg")])
def test_a_kept_networks_file_name_spells_out_its_rows_symbols(method, name):
    assert zoo.path_for("trades.table5", "full", "SmallCNN", method, 0).name == f"SmallCNN-{name}-s0.safetensors"


def test_a_grids_progress_says_what_is_stored_and_how_far_training_got(kept_grid):
    g, cfg, tmp_path = kept_grid
    cfg = {**cfg, "audit_methods": ["AT"]}
    assert [(r["record"], r["audit"], r["weights"], r["training"]) for r in g.progress(cfg, "full")] == [
        ("to do", "—", "to do", "not started"), ("to do", "to do", "to do", "not started")]
    g.compute(cfg, "smoke", progress=False)  # the same networks, stored at another budget
    longer = {**cfg, "epochs": cfg["epochs"] + 1}
    assert g.progress(longer, "full")[1]["training"] == \
        f"epoch {cfg['epochs']} of {cfg['epochs'] + 1} (the {cfg['epochs']}-epoch run's, to continue)"
    g.compute(cfg, "full", progress=False)
    assert [(r["record"], r["audit"], r["weights"], r["training"]) for r in g.progress(cfg, "full")] == [
        ("stored", "—", "kept", "done"), ("stored", "done", "kept", "done")]
    assert g.progress(cfg, "smoke")[1]["weights"] == "—"  # no budget but full keeps networks
    # a run part-way through its own checkpoint: when it was saved and the training time left at its epochs' pace
    far = {**cfg, "epochs": cfg["epochs"] + 30}
    ckpt = g.checkpoint(far, "CNN1", "AT", 0)
    torch.save({"epoch": 10, "history": [{"epoch": e, "seconds": s} for e, s in enumerate((99, 60, 50, 70), 7)],
                "config": {"epochs": far["epochs"]}}, ckpt)
    saved = time.strftime("%H:%M", time.localtime(ckpt.stat().st_mtime))
    assert g.progress(far, "full")[1]["training"] == \
        f"epoch 10 of {far['epochs']}, saved {saved}; {far['epochs'] - 10} min left at 60 s per epoch"
