"""Committed records store the claims computed when they were made, and the paper's values their rows were
compared with; both must equal what today's code says about the same rows (after changing a check or a grid's
paper values, regenerate the record: its runs are reused)."""
import json

import pytest

from reprolib.papers.cake import table3 as cake_table3
from reprolib.papers.closer_look import separation, table2
from reprolib.papers.spatial import adversarial, augmentation, networks
from reprolib.papers.trades import sensitivity, tightness, whitebox
from reprolib.paths import REPO_ROOT

RECORDS = {
    "closer_look/table2.json": lambda r: table2.table2_claims(r["rows"]),
    "closer_look/table4.json": lambda r: table2.table4_claims(r["rows"]),
    "closer_look/table1.json": lambda r: separation.separation_claims(r["rows"]),
    "cake/table2.json": lambda r: separation.separation_claims(r["rows"]),
    "cake/table3.json": lambda r: cake_table3.table3_claims(r["rows"]),
    "trades/table3.json": lambda r: tightness.table3_claims(r["rows"]),
    "trades/table4.json": lambda r: sensitivity.table4_claims(r["rows"]),
    "trades/table4_companion.json": lambda r: sensitivity.table4_claims(r["rows"], "companion"),
    "trades/table5.json": lambda r: whitebox.suite_claims(r["suite"], r["rows"]),
    "spatial/table1.json": lambda r: networks.claims({row["arch"]: row for row in r["rows"]}),
    "spatial/fig6.json": lambda r: augmentation.fig6_claims(r["rows"]),
    "spatial/fig14.json": lambda r: augmentation.fig14_claims(r["rows"]),
    "spatial/fig7.json": lambda r: adversarial.fig7_claims(r["rows"]),
}


def _committed(key: str) -> list[str]:
    """The default-profile record and every other profile's merged record of it (``table5@full.json``)."""
    return [key] + sorted(str(p.relative_to(REPO_ROOT / "results")) for p in
                          (REPO_ROOT / "results").glob(f"{key.removesuffix('.json')}@*.json"))


@pytest.mark.parametrize("path, key", [(p, key) for key in RECORDS for p in _committed(key)])
def test_committed_claims_are_those_of_the_current_checks(path, key):
    record = json.loads((REPO_ROOT / "results" / path).read_text())
    assert record["claims"] == RECORDS[key](record), (
        f"results/{path}: stored claims differ from the current checks; delete the record and rerun its section")


GRIDS = {g.artifact: g for g in (sensitivity.GRID, sensitivity.COMPANION, whitebox.GRID, table2.TABLE2_GRID,
                                 table2.TABLE3_GRID, table2.TABLE4_GRID, cake_table3.GRID)}


GRID_RECORDS = sorted(str(p.relative_to(REPO_ROOT / "results")) for p in (REPO_ROOT / "results").glob("*/*.json")
                      if json.loads(p.read_text()).get("artifact") in GRIDS)


@pytest.mark.parametrize("path", GRID_RECORDS)
def test_committed_grid_rows_carry_the_paper_values_their_grid_attaches_now(path):
    record = json.loads((REPO_ROOT / "results" / path).read_text())
    grid = GRIDS[record["artifact"]]
    stale = [r["method"] for r in record["rows"]
             if r.get("paper") != grid.paper_values(record["config"], r["arch"], r["method"])]
    assert not stale, f"results/{path}: rows {stale} carry other paper values; delete the record and rerun its section"
