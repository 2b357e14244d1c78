"""The reproduction scorecard: every artifact of the four papers (REPRO_SPEC ids), with its status.

The catalogue is assembled from the paper modules (each declares its rows as :class:`Artifact`, see
:func:`reprolib.sections.catalogue`): the artifacts and, for each, why it is not reproduced *if* no result
exists. Status, numbers and claims come only from ``results/``: an artifact with a stored record
takes that record's status; without one it is reported as not reproduced, with the reason.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from . import results, sections
from .audit import unaudited_rows

OFFLINE = "needs a dataset this offline machine cannot download"
GPU = "needs CIFAR-10 (or larger) and a GPU"
NOT_YET = "not built in this version of the book"
NO_NUMBERS = "an illustration with no numbers to reproduce"
MISSING_APPENDIX = "its numbers are in an appendix missing from the provided text"



@dataclass(frozen=True)
class Artifact:
    """One row of the catalogue: an artifact id (REPRO_SPEC), what it is, its page (docname under ``book/``, or
    None), why it is not reproduced *if* no record exists, and the artifact whose record holds it if different
    (one paper owns a result that two papers state; the other's row points to it). ``parts``: other records that
    hold part of the artifact (e.g. a second grid of the same table); their claims and audits count on its row."""
    id: str
    what: str
    page: str | None
    reason: str
    holder: str | None = None
    parts: tuple[str, ...] = ()


STATUS_LABEL = {"reproduced": "✔ reproduced", "partial": "◐ partially (scaled down)",
                "paper-profile-only": "◇ paper profile only", "not-reproduced": "✘ not reproduced"}


def load(artifact: str, profile: str = "cpu", root=None) -> dict | None:
    """The record the book shows for ``artifact``: at ``cpu``, its ``full`` record once one is stored (the book
    shows full numbers wherever they exist), else its ``cpu`` one; at another profile, that profile's."""
    if profile == "cpu":
        return results.load(artifact, "full", root) or results.load(artifact, "cpu", root)
    return results.load(artifact, profile, root)


def scorecard(profile: str = "cpu", root=None) -> pd.DataFrame:
    """One row per artifact: status (and the budget of the record it comes from), what was scaled down or why not,
    claims passed, page."""
    rows = []
    for a in sections.catalogue():
        art, what, page, reason = a.id, a.what, a.page, a.reason
        rec = load(a.holder or art, profile, root)
        parts = [p for p in _records(a.parts, profile, root) if p is not None]
        claims = (_claims_of(rec, art) or (_claims_of(rec, a.holder) if a.holder else [])) + \
            [c for p in parts for c in _claims_of(p, art)]
        if rec is None:
            status = "paper-profile-only" if reason.startswith("paper profile only") else "not-reproduced"
            detail = reason
        else:
            status, detail = rec["status"], rec.get("notes", "")
        budget = f" · `{rec['profile']}`" if rec else ""
        rows.append({"artifact": art, "what": what, "status": STATUS_LABEL[status] + budget, "details": detail,
                     "claims": f"{sum(c['passed'] for c in claims)}/{len(claims)}" if claims else "",
                     "pgd_minus_aa": _gap(*([rec] if not a.holder else []), *parts), "page": page or ""})
    return pd.DataFrame(rows)


def _records(ids: tuple[str, ...], profile: str, root) -> list[dict | None]:
    """The stored records of ``ids`` (an artifact and its ``parts``), None where none is stored."""
    return [load(i, profile, root) for i in ids]


def _claims_of(record: dict | None, artifact: str) -> list[dict]:
    """The claims of ``record`` about ``artifact`` (their ids start with it)."""
    return [c for c in (record or {}).get("claims", []) if c["id"].startswith(artifact)]


def _gap(*records: dict | None) -> str:
    """The largest PGD − AutoAttack gap over the audited models of ``records`` (an artifact's), in points, how
    many models were audited and how many robust models of the records' rows were not; ⚠ above the warning."""
    audits = [a for a in ((r or {}).get("audit") for r in records) if a and a.get("max_gap") is not None]
    left = sum(len(unaudited_rows(r)) for r in records if r)
    if not audits:
        return f"none of {_models(left, 'robust model')} audited" if left else ""
    worst = max(audits, key=lambda a: a["max_gap"])
    n = sum(len(a["rows"]) for a in audits)
    return ("⚠ " if worst["max_gap"] > worst["gap_warning"] + 1e-12 else "") + \
        f"{100 * worst['max_gap']:+.1f} ({_models(n, 'model')}" + \
        (f"; {_models(left, 'robust model')} not audited)" if left else ")")


def _models(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


def audit_warnings(profile: str = "cpu", root=None) -> list[str]:
    """Every robustness-audit warning (PGD − AutoAttack gap above 2 points, failed masking checks) of any record."""
    out = []
    for a in sections.catalogue():
        if not a.holder:
            for rec in _records((a.id, *a.parts), profile, root):
                out += ((rec or {}).get("audit") or {}).get("warnings", [])
    return out


def all_claims(profile: str = "cpu", root=None) -> pd.DataFrame:
    """Every encoded claim across chapters with its outcome."""
    rows = []
    for a in sections.catalogue():
        if a.holder:  # its claims are listed under the artifact that holds them
            continue
        for c in (c for rec in _records((a.id, *a.parts), profile, root) for c in (rec or {}).get("claims", [])):
            rows.append({"claim": c["id"], "statement": c["text"], "holds": "✔" if c["passed"] else "✘",
                         "evidence": c["evidence"]})
    return pd.DataFrame(rows, columns=["claim", "statement", "holds", "evidence"])


def markdown_table(card: pd.DataFrame) -> str:
    """The scorecard as a Markdown table whose page column links to the book's pages."""
    lines = ["| artifact | what | status | details | claims | PGD − AutoAttack: largest gap (points), robust models audited and not | page |",
             "|---|---|---|---|---|---|---|"]
    for r in card.itertuples():
        # MyST document links, relative to the scorecard page (book/executed/scorecard.ipynb).
        if not r.page:
            link = ""
        elif r.page.startswith("executed/"):
            link = f"[open]({r.page.removeprefix('executed/')}.ipynb)"
        else:
            link = f"[open](../{r.page}.md)"
        lines.append(f"| `{r.artifact}` | {r.what} | {r.status} | {r.details} | {r.claims} | {r.pgd_minus_aa} "
                     f"| {link} |")
    return "\n".join(lines)
