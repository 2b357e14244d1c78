"""The closing page (cake/closing) reads every number from a stored record: at the cpu profile, from the
committed ones, none is missing; without records, each is shown as missing rather than invented."""
from reprolib import results
from reprolib.papers import cake
from reprolib.paths import REPO_ROOT


def test_closing_numbers_come_from_the_committed_records(monkeypatch):
    monkeypatch.setenv("REPROLIB_RESULTS", str(REPO_ROOT / "results"))
    numbers = cake.closing_numbers("cpu")
    assert not [k for k, v in numbers.items() if v == "—"]
    assert numbers["tsipras-bound-99"] == "19.0%" and numbers["sep-mnist-2r"] == "0.737"
    assert "budget" in numbers["budgets"]


def _at_full(budgets: str) -> list[str]:
    """The artifacts that the closing's budget sentence says it read at ``full``."""
    prefix, suffix = "the `full` budget for ", ", the `cpu` budget for the others"
    return budgets.removeprefix(prefix).removesuffix(suffix).split(", ") if budgets.startswith(prefix) else []


def test_closing_numbers_read_an_artifacts_full_record_where_one_is_stored(tmp_path, monkeypatch):
    import shutil

    shutil.copytree(REPO_ROOT / "results", tmp_path / "results")
    monkeypatch.setenv("REPROLIB_RESULTS", str(tmp_path / "results"))
    before = _at_full(cake.closing_numbers("cpu")["budgets"])
    assert "cake.table3" not in before
    rec = results.read_record(tmp_path / "results" / "cake" / "table3.json")
    results.write_record(tmp_path / "results" / "cake" / "table3@full.json", {**rec, "profile": "full"})
    assert set(_at_full(cake.closing_numbers("cpu")["budgets"])) == set(before) | {"cake.table3"}


def test_closing_numbers_without_records_are_missing_not_made_up(tmp_path, monkeypatch):
    monkeypatch.setenv("REPROLIB_RESULTS", str(tmp_path))
    numbers = cake.closing_numbers("cpu")
    assert numbers["tsipras-bound-99"] == "—" and numbers["t2-b6-adv"] == "—"
    assert "no TRADES" in numbers["t2-beta-verdict"]
