"""The closing page (cake/closing) reads every number from a stored record: at the cpu profile, from the
committed ones, none is missing; without records, each is shown as missing rather than invented."""
from reprolib.papers import cake
from reprolib.paths import REPO_ROOT


def test_closing_numbers_come_from_the_committed_records(monkeypatch):
    monkeypatch.setenv("REPROLIB_RESULTS", str(REPO_ROOT / "results"))
    numbers = cake.closing_numbers("cpu")
    assert not [k for k, v in numbers.items() if v == "—"]
    assert numbers["tsipras-bound-99"] == "19.0%" and numbers["sep-mnist-2r"] == "0.737"


def test_closing_numbers_without_records_are_missing_not_made_up(tmp_path, monkeypatch):
    monkeypatch.setenv("REPROLIB_RESULTS", str(tmp_path))
    numbers = cake.closing_numbers("cpu")
    assert numbers["tsipras-bound-99"] == "—" and numbers["t2-b6-adv"] == "—"
    assert "no TRADES" in numbers["t2-beta-verdict"]
