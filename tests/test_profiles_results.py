import json
import os
import stat

import pytest

from reprolib import profiles, results
from reprolib.errors import ConfigError
from reprolib.paths import REPO_ROOT


def test_profiles_resolve_and_overrides():
    cfg = profiles.resolve("closer_look/table2", "smoke", eps=0.2, n_train="all")
    assert cfg["eps"] == 0.2 and cfg["n_train"] is None
    assert profiles.resolve("closer_look/table2", "paper")["epochs"] == 160
    assert profiles.resolve("closer_look/table2", "cpu", epochs=None) == profiles.resolve("closer_look/table2", "cpu")


@pytest.mark.parametrize("kwargs, match", [
    ({"profile": "fast"}, "unknown profile 'fast'"),
    ({"eps": -0.1}, "eps=-0.1 must be ≥ 0"),
    ({"attack_steps": 0}, "attack_steps=0 must be ≥ 1"),
    ({"eval_step_size": 0.0}, "eval_step_size=0.0 must be > 0"),
    ({"archs": ["ResNet99"]}, "archs: unknown 'ResNet99'"),
    ({"dataset": "imagenet"}, "dataset: unknown 'imagenet'"),
    ({"optimizer": "lbfgs"}, "optimizer: unknown 'lbfgs'"),
    ({"methods": ["Magic"]}, "methods: unknown 'Magic'"),
    ({"epoch": 3}, "unknown parameter 'epoch'"),
    ({"epochs": "many"}, "epochs='many' has type str, expected int"),
    ({"epochs": 2.5}, "epochs=2.5 has type float, expected int"),
    ({"milestones": [3]}, r"milestones=\[3\]: \[3\] after the last epoch \(1\)"),
    ({"seeds": 0}, "seeds=0 must be a list of int"),
    ({"momentum": 1.5}, "momentum=1.5 must be ≤ 1"),
])
def test_bad_parameters_raise_one_clear_error(kwargs, match):
    profile = kwargs.pop("profile", "smoke")
    with pytest.raises(ConfigError, match=match):
        profiles.resolve("closer_look/table2", profile, **kwargs)


def test_unknown_section():
    with pytest.raises(ConfigError, match="unknown section"):
        profiles.resolve("closer_look/table9")


def test_config_hash_is_stable_and_order_free():
    a = {"x": 1, "y": [1, 2], "z": {"b": 2, "a": 1}}
    b = {"z": {"a": 1, "b": 2}, "y": [1, 2], "x": 1}
    assert results.config_hash(a) == results.config_hash(b)
    assert results.config_hash(a) != results.config_hash({**a, "x": 2})
    assert len(results.config_hash(a)) == 64


def test_cached_reuses_only_matching_config(tmp_path):
    calls = []

    def compute():
        calls.append(1)
        return {"rows": [{"v": len(calls)}]}

    kw = dict(profile="smoke", root=tmp_path)
    r1 = results.cached("demo.table", config={"a": 1}, compute=compute, **kw)
    r2 = results.cached("demo.table", config={"a": 1}, compute=compute, **kw)
    assert (r1["reused"], r2["reused"], len(calls)) == (False, True, 1)
    r3 = results.cached("demo.table", config={"a": 2}, compute=compute, **kw)
    assert not r3["reused"] and r3["rows"] == [{"v": 2}]
    r4 = results.cached("demo.table", config={"a": 2}, compute=compute, recompute=True, **kw)
    assert not r4["reused"] and len(calls) == 3
    stored = json.loads((tmp_path / "demo" / "table@smoke.json").read_text())
    assert stored["config"] == {"a": 2} and stored["provenance"]["seconds"] >= 0
    assert {"commit", "torch", "threads", "date", "reprolib", "device"} <= set(stored["provenance"])


def test_atomic_write_leaves_old_file_on_failure(tmp_path):
    path = tmp_path / "r.json"
    results.atomic_write_json(path, {"ok": 1})
    with pytest.raises(TypeError):
        results.atomic_write_json(path, {"bad": object()})
    with pytest.raises(ValueError):
        results.atomic_write_json(path, {"nan": float("nan")})
    assert json.loads(path.read_text()) == {"ok": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


def test_failed_compute_writes_nothing(tmp_path):
    def boom():
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        results.cached("demo.table", profile="cpu", config={}, compute=boom, root=tmp_path)
    assert not any(tmp_path.rglob("*.json"))


def test_cpu_profile_writes_the_published_name(tmp_path):
    assert results.artifact_path("closer_look.table2", "cpu", tmp_path) == tmp_path / "closer_look" / "table2.json"
    assert results.artifact_path("closer_look.table2", "paper", tmp_path).name == "table2@paper.json"


def test_committed_runs_are_each_read_by_their_section_at_cpu():
    """A stored run that no section's ``cpu`` profile lists (left behind when a profile dropped a row) is read by no
    page, yet would count as a committed number: the committed run directories hold exactly the profiles' runs."""
    from reprolib import sections
    from reprolib.paths import REPO_ROOT, results_dir

    listed: dict[str, set[str]] = {}
    for name, section in sections.registry().items():
        if section.sweep is None or section.sweep.runs is None:
            continue
        for path in section.sweep.runs(profiles.resolve(name, "cpu"), "cpu"):
            rel = path.relative_to(results_dir())
            listed.setdefault(str(rel.parent), set()).add(rel.name)
    assert len(listed) >= 5  # every grid section's store (closer_look, trades, cake, spatial)
    for folder, names in listed.items():
        committed = {p.name for p in (REPO_ROOT / "results" / folder).glob("*.json")}
        assert not committed - names, f"results/{folder}: runs no cpu profile lists: {sorted(committed - names)}"


def _grids():
    """Every grid section of the registry and its main table of trainings."""
    from reprolib import sections

    return [(n, s.sweep.grids[0]) for n, s in sections.registry().items() if s.sweep and s.sweep.grids]


def _as_grid(name: str, cfg: dict) -> dict:
    """A section's settings as its grids read them (TRADES Table 3 says them otherwise)."""
    from reprolib import sections

    sweep = sections.get(name).sweep
    return sweep.as_grid(cfg) if sweep else cfg


def test_every_section_with_an_audit_has_its_grid_in_the_registry():
    from reprolib import sections

    reg = sections.registry()
    audited = {n for n in reg if "audit_methods" in _as_grid(n, profiles.resolve(n, "paper"))}
    grids = {n for n, _ in _grids()}
    assert grids <= audited and len(grids) >= 8
    assert all(reg[n].sweep is None for n in audited - grids)  # e.g. Fig. 14: another section's networks


@pytest.mark.parametrize("name, method_grid", _grids(), ids=[n for n, _ in _grids()])
def test_the_paper_profile_audits_every_adversarially_trained_network(name, method_grid):
    """With a GPU there is no budget reason to leave a robust network (any loss but the natural one) without its
    AutoAttack audit: every seed and every method of the ``paper`` profile's grid is audited. A grid of natural
    trainings only (spatial's augmentation figures) has nothing to audit."""
    from reprolib import grid

    from reprolib import losses

    cfg = _as_grid(name, profiles.resolve(name, "paper"))
    natural = lambda m: losses.METHODS[method_grid.methods[m]["method"]].natural  # noqa: E731
    robust = {(a, m, s) for a, m, s in grid.grid(cfg) if not natural(m)}
    assert robust or all(natural(m) for m in method_grid.methods), name
    missing = robust - set(method_grid.audited(cfg))
    assert not missing, sorted(missing)


def _stored_demo(tmp_path):
    kw = dict(profile="smoke", root=tmp_path)
    results.cached("demo.table", config={"n_test": 10}, compute=lambda: {"rows": [{"acc": 0.5}]}, **kw)
    return tmp_path / "demo" / "table@smoke.json", kw


@pytest.mark.parametrize("edit, what", [
    (lambda r: r["rows"][0].update(acc=0.99), "its content does not match its digest"),
    (lambda r: r["config"].update(n_test=10000), "its content does not match its digest"),
    (lambda r: r.pop("digest"), "has no digest"),
])
def test_a_record_edited_by_hand_is_refused_in_one_line(tmp_path, edit, what):
    path, kw = _stored_demo(tmp_path)
    record = json.loads(path.read_text())
    edit(record)
    path.write_text(json.dumps(record))
    with pytest.raises(results.RecordError) as exc:
        results.cached("demo.table", config={"n_test": 10}, compute=lambda: {"rows": []}, **kw)
    message = str(exc.value)
    assert what in message and str(path) in message and "--recompute" in message and "\n" not in message
    # recomputing replaces it with a record that verifies
    results.cached("demo.table", config={"n_test": 10}, compute=lambda: {"rows": [{"acc": 0.5}]}, recompute=True, **kw)
    assert results.read_record(path)["rows"] == [{"acc": 0.5}]


def test_a_config_edited_with_its_digest_redone_is_refused_by_its_hash(tmp_path):
    path, _ = _stored_demo(tmp_path)
    record = json.loads(path.read_text())
    record["config"]["n_test"] = 10000
    results.write_record(path, record)  # the digest is redone; the configuration's hash is not
    with pytest.raises(results.RecordError, match="the configuration does not match its hash"):
        results.read_record(path)


def test_a_truncated_record_names_its_file(tmp_path):
    path, _ = _stored_demo(tmp_path)
    path.write_text(path.read_text()[:40])
    with pytest.raises(results.RecordError, match=r"table@smoke.json: not valid JSON \(truncated or damaged"):
        results.load("demo.table", "smoke", tmp_path)


def test_every_committed_record_verifies():
    paths = sorted((REPO_ROOT / "results").rglob("*.json"))
    assert len(paths) > 100
    for path in paths:
        results.read_record(path)


def test_written_files_get_the_process_umask(tmp_path):
    old = os.umask(0o022)
    try:
        results.atomic_write_json(tmp_path / "r.json", {"ok": 1})
        assert stat.S_IMODE((tmp_path / "r.json").stat().st_mode) == results._FILE_MODE == 0o644
    finally:
        os.umask(old)
