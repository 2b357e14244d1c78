"""The robustness audit as chapters use it: attached to a stored run without touching its hash, summarised for
the record, shown on the scorecard; and the committed cpu records carry one for every audited model."""
import json

import pytest

from reprolib import audit, masking, results, scorecard
from reprolib.errors import ConfigError
from reprolib.paths import REPO_ROOT


def test_attach_adds_a_sub_record_once_and_keeps_the_run(tmp_path):
    config = {"arch": "X", "seed": 0}
    run = results.cached_run("demo.sweep", profile="smoke", config=config, root=tmp_path,
                             compute=lambda: {"rows": [], "acc": 0.5})
    calls = []

    def compute():
        calls.append(1)
        return {"autoattack_acc": 0.25}

    first = results.attach("demo.sweep", profile="smoke", config=config, key="audit", attachment={"n": 10},
                           compute=compute, root=tmp_path)
    again = results.attach("demo.sweep", profile="smoke", config=config, key="audit", attachment={"n": 10},
                           compute=compute, root=tmp_path)
    assert (first["reused"], again["reused"], len(calls)) == (False, True, 1)
    stored = json.loads(next((tmp_path / "demo" / "sweep@smoke").glob("*.json")).read_text())
    assert stored["config_hash"] == run["config_hash"] and stored["acc"] == 0.5
    assert stored["audit"]["autoattack_acc"] == 0.25 and "commit" in stored["audit"]["provenance"]
    results.attach("demo.sweep", profile="smoke", config=config, key="audit", attachment={"n": 20},
                   compute=compute, root=tmp_path)
    assert len(calls) == 2  # another audit configuration is computed anew
    with pytest.raises(ConfigError, match="no stored record"):
        results.attach("demo.sweep", profile="smoke", config={"arch": "Y"}, key="audit", attachment={},
                       compute=compute, root=tmp_path)


def _audited_records():
    for path in ("closer_look/table2.json", "closer_look/table4.json", "trades/table4.json",
                 "trades/table4_companion.json", "trades/table5.json", "cake/table3.json", "spatial/fig7.json"):
        yield path, json.loads((REPO_ROOT / "results" / path).read_text())


@pytest.mark.parametrize("path, record", list(_audited_records()), ids=lambda v: v if isinstance(v, str) else "")
def test_committed_records_audit_every_audited_model_with_provenance(path, record):
    cfg = record["config"]
    if "audit_methods" not in cfg:
        pytest.fail(f"results/{path} has no robustness audit; rerun its section at the cpu profile")
    archs = cfg.get("audit_archs")
    want = {(r["arch"], r["method"], r["seed"]) for r in record["rows"]
            if r["method"] in cfg["audit_methods"] and r["seed"] in cfg["audit_seeds"]
            and (archs is None or r["arch"] in archs)}
    got = {(r["arch"], r["method"], r["seed"]) for r in record["audit"]["rows"]}
    assert got == want and (want or path != "closer_look/table2.json")  # Table 2 audits at least one model
    for row in record["audit"]["rows"]:
        assert row["n"] >= 500 and row["autoattack_acc"] <= row["clean_acc"]
    for run in (REPO_ROOT / "results" / path.removesuffix(".json")).glob("*.json"):
        rec = json.loads(run.read_text())
        if (rec["arch"], rec["method"], rec["seed"]) in want:
            a = rec["audit"]
            assert a["provenance"]["commit"] and a["autoattack"]["package"] == "pyautoattack"
            # the stored checks are those of today's logic on the stored numbers
            prefix = a["claims"][0]["id"].rsplit(".", 1)[0]
            assert [c for c in a["claims"] if not c["id"].endswith("same_model")] == \
                masking.check_masking(a["masking"], id_prefix=prefix)


def test_no_committed_record_leaves_a_robust_model_unaudited():
    """Issue 12's bar: every adversarially trained network of the committed cpu records carries an AutoAttack
    number with provenance. The records holding robust models are exactly the audited ones above and TRADES
    Table 3 (binary, not a grid: its rows say they are adversarially trained), so none escapes the helper."""
    records = {str(p.relative_to(REPO_ROOT / "results")): json.loads(p.read_text())
               for p in sorted((REPO_ROOT / "results").glob("*/*.json")) if "@" not in p.name}  # cpu ones
    holding = {path for path, r in records.items() if audit.robust_rows(r)}
    assert holding == {path for path, _ in _audited_records()} | {"trades/table3.json"}
    assert {path: audit.unaudited(r) for path, r in records.items() if audit.unaudited(r)} == {}
    table3 = records["trades/table3.json"]
    assert len(audit.robust_rows(table3)) == len(table3["config"]["lams"]) == len(table3["audit"]["rows"])
    for run in (REPO_ROOT / "results" / "trades" / "table3").glob("*.json"):
        rec = json.loads(run.read_text())
        if rec["lam"] is not None:
            a = rec["audit"]
            assert a["provenance"]["commit"] and a["autoattack"]["package"] == "pyautoattack"
            assert a["n"] >= 500 and a["autoattack"]["attacks"] == ["apgd-ce", "fab", "square"]
            assert all(c["passed"] for c in a["claims"] if c["id"].endswith("same_model"))


def test_scorecard_shows_the_largest_gap_and_flags_it(tmp_path):
    rec = {"audit": {"max_gap": 0.031, "gap_warning": 0.02, "rows": [{}, {}], "warnings": ["x: gap"]}}
    assert scorecard._gap(rec) == "⚠ +3.1 (2 models)"
    rec["audit"]["max_gap"] = 0.004
    assert scorecard._gap(rec) == "+0.4 (2 models)"
    assert scorecard._gap({}) == "" and scorecard._gap(None) == ""
    # an artifact held by two records (a table and its companion grid): the worst gap over both, every model counted
    part = {"audit": {"max_gap": 0.025, "gap_warning": 0.02, "rows": [{}, {}, {}], "warnings": []}}
    assert scorecard._gap(rec, part) == "⚠ +2.5 (5 models)" and scorecard._gap(None, part) == "⚠ +2.5 (3 models)"
    assert scorecard._gap(rec, {"audit": None}) == "+0.4 (2 models)"
    # robust networks (a preset whose loss is not the natural one) that the audit left out are counted
    specs = {"Natural": {"method": "natural"}, "AT": {"method": "at"}, "TRADES": {"method": "trades"}}
    grid = {"config": {"method_specs": specs}, "rows": [{"arch": "A", "method": m, "seed": s}
                                                        for m in specs for s in (0, 1)]}
    audited = {"max_gap": 0.01, "gap_warning": 0.02, "rows": [{"arch": "A", "method": "AT", "seed": 0}]}
    assert scorecard._gap({**grid, "audit": audited}) == "+1.0 (1 model; 3 robust models not audited)"
    assert scorecard._gap({**grid, "audit": None}) == "none of 4 robust models audited"
    assert scorecard._gap({**grid, "config": {}, "audit": None}) == ""  # no presets (an augmentation grid)


def test_the_scorecard_row_of_an_artifact_counts_its_parts(tmp_path, monkeypatch):
    from reprolib import sections

    def record(claims, gap):
        return lambda: {"rows": [], "status": "partial", "notes": "",
                        "claims": [{"id": f"demo.t.{c}", "passed": ok, "text": c, "evidence": ""} for c, ok in claims],
                        "audit": {"max_gap": gap, "gap_warning": 0.02, "rows": [{}], "warnings": [f"gap {gap}"]}}

    results.cached("demo.t", profile="cpu", config={}, compute=record([("a", True)], 0.01), root=tmp_path)
    results.cached("demo.t_part", profile="cpu", config={}, compute=record([("b", False), ("c", True)], 0.03),
                   root=tmp_path)
    monkeypatch.setattr(sections, "catalogue", lambda: (scorecard.Artifact("demo.t", "a table", None, "",
                                                                           parts=("demo.t_part",)),))
    row = scorecard.scorecard("cpu", root=tmp_path).iloc[0]
    assert (row["claims"], row["pgd_minus_aa"]) == ("2/3", "⚠ +3.0 (2 models)")
    assert scorecard.audit_warnings("cpu", root=tmp_path) == ["gap 0.01", "gap 0.03"]
    assert list(scorecard.all_claims("cpu", root=tmp_path)["claim"]) == ["demo.t.a", "demo.t.b", "demo.t.c"]


def test_the_page_names_the_robust_models_left_unaudited_and_lists_flagged_gaps():
    from reprolib import audit

    methods = {"Natural": {"method": "natural"}, "Aug-R(45°)": {"method": "natural", "augment": {"degrees": 45}},
               "TRADES(1/λ=1)": {"method": "trades", "beta": 1.0}, "TRADES(1/λ=6)": {"method": "trades", "beta": 6.0}}
    rows = [{"arch": "Net", "method": m, "seed": s} for m in methods for s in (0, 1)]
    record = {"config": {"method_specs": methods}, "rows": rows}
    after = {"apgd-ce": 0.70, "apgd-t": 0.69}
    summary = {"rows": [{"arch": "Net", "method": "TRADES(1/λ=1)", "seed": 0, "gap": 0.004, "pgd_acc": 0.694,
                         "autoattack_acc": 0.69, "autoattack_after": after, "n": 500, "clean_acc": 0.9,
                         "pgd_more_steps_acc": 0.69, "pgd_restarts_acc": 0.69, "transfer_acc": None}],
               "max_gap": 0.004, "gap_warning": 0.02}
    # robust means trained against an adversary: neither the natural nor the augmented-only models count
    assert audit.unaudited(record, summary) == ["Net TRADES(1/λ=1) (seed 1)", "Net TRADES(1/λ=6) (seeds 0, 1)"]
    said = audit.facts((None, record, summary, 500))
    assert said == {"networks": "Net TRADES(1/λ=1) (seed 0)", "attacks": "the standard version's first two: APGD-CE, "
                    "APGD-T", "images": "the first 500 test images of the evaluation subset",
                    "unaudited": "Net TRADES(1/λ=1) (seed 1); Net TRADES(1/λ=6) (seeds 0, 1)", "max_gap": "+0.4 points",
                    "threshold": "2", "flagged": "none"}
    full = {**record, "rows": rows[:4] + [{"arch": "Net", "method": "TRADES(1/λ=1)", "seed": 0}]}
    assert audit.facts((None, full, summary, None))["unaudited"] == "none"
    assert audit.facts((None, full, summary, None))["images"] == "every test image of the evaluation subset"
    # methods sharing their unaudited seeds are named together; without an audit summary, the record's own
    assert audit.unaudited(record) == ["Net TRADES(1/λ=1), TRADES(1/λ=6) (seeds 0, 1)"]
    assert audit.unaudited({**record, "audit": summary}) == audit.unaudited(record, summary)
    # a flagged gap names the attack that found it
    summary["rows"][0].update(gap=0.034, pgd_acc=0.724)
    summary["max_gap"] = 0.034
    said = audit.facts((None, record, summary, 500))
    assert said["flagged"] == ("Net TRADES(1/λ=1) (seed 0): PGD 72.4%, AutoAttack 69.0%, most of the 3.4-point gap is "
                               "found by apgd-ce (2.4 points)") and said["max_gap"] == "+3.4 points"
    # two grids on one page: each value says which grid it is; a grid without an audit adds nothing to the lists
    two = audit.facts(("MNIST", record, summary, 500), ("CIFAR-10", {"rows": []}, {"rows": []}, 100))
    assert two["networks"] == "MNIST: Net TRADES(1/λ=1) (seed 0)" and two["max_gap"] == "+3.4 points"
    # nothing audited: every list says so
    assert set(audit.facts((None, {"rows": []}, None, 20)).values()) == {"none", "2"}
    # many flagged networks: one line for all of them, the attacks counted
    many = {**summary, "rows": [{**summary["rows"][0], "seed": k, "gap": 0.021 + k / 100} for k in range(9)]}
    assert audit.gap_lines(many) == ["9 of the 9 audited networks, gaps +2.1 to +10.1 points (each in the table "
                                     "below), most of each gap found by apgd-ce (9 networks)"]
    assert len(audit.gap_lines(many, most=9)) == 9
    assert list(audit.styled(summary).data.columns[:4]) == ["clean", "PGD", "AA", "PGD − AA"]
    assert audit.styled({"rows": []}) is None


def test_retrained_twins_are_the_audited_rows_whose_same_model_check_failed():
    from reprolib import grid

    rows = [{"arch": "CNN1", "method": m, "seed": 0} for m in ("AT", "RST(λ=.5)")]
    claims = [{"id": "t.x.CNN1.AT.s0.same_model", "passed": True},
              {"id": "t.x.CNN1.RST(λ=.5).s0.same_model", "passed": False},
              {"id": "t.x.CNN1.AT.s0.autoattack_le_pgd", "passed": False}]
    record = {"artifact": "t.x", "audit": {"rows": rows, "claims": claims}}
    assert grid.retrained_twins(record) == rows[1:]
    assert grid.retrained_twins({"artifact": "t.x"}) == []


def test_the_scorecard_shows_the_full_record_once_one_exists(tmp_path):
    """The book shows an artifact's full numbers once its full record is stored, its cpu numbers until then, and
    says which."""
    for profile in ("cpu", "full"):
        results.cached("trades.table5", profile=profile, root=tmp_path, config={"p": profile},
                       compute=lambda: {"rows": [], "status": "partial"})
    card = scorecard.scorecard(root=tmp_path).set_index("artifact")
    assert card.loc["trades.table5", "status"].endswith("· `full`")
    assert results.shown("trades.table4", root=tmp_path) is None
    (tmp_path / "trades" / "table5@full.json").unlink()
    assert scorecard.scorecard(root=tmp_path).set_index("artifact").loc["trades.table5", "status"].endswith("`cpu`")
