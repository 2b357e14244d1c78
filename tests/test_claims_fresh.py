"""Committed records store the claims computed when they were made; they must equal what today's checks say
about the same rows (after changing a check, regenerate the record: its runs are reused)."""
import json

import pytest

from reprolib.papers.closer_look import separation, table2
from reprolib.paths import REPO_ROOT

RECORDS = {
    "closer_look/table2.json": table2.table2_claims,
    "closer_look/table4.json": table2.table4_claims,
    "closer_look/table1.json": separation.separation_claims,
    "cake/table2.json": separation.separation_claims,
}


@pytest.mark.parametrize("path", RECORDS)
def test_committed_claims_are_those_of_the_current_checks(path):
    record = json.loads((REPO_ROOT / "results" / path).read_text())
    assert record["claims"] == RECORDS[path](record["rows"]), (
        f"results/{path}: stored claims differ from the current checks; delete the record and rerun its section")
