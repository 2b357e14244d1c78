"""The reproduction scorecard: every artifact of the four papers (REPRO_SPEC ids), with its status.

The catalogue is assembled from the paper modules (each declares its rows as :class:`Artifact`, see
:func:`reprolib.sections.catalogue`): the artifacts and, for each, why it is not reproduced *if* no result
exists. Status, numbers and claims come only from ``results/``: an artifact with a stored record
takes that record's status; without one it is reported as not reproduced, with the reason.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pandas as pd

from . import fidelity, results, sections
from .audit import found_by, label, unaudited_rows

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
    hold part of the artifact (e.g. a second grid of the same table); their claims and audits count on its row.
    ``targets``: the `full` budget's targets, judged on the record (the paper module's function; those whose ids
    start with the artifact's count on its row)."""
    id: str
    what: str
    page: str | None
    reason: str
    holder: str | None = None
    parts: tuple[str, ...] = ()
    targets: Callable[[dict], list[dict]] | None = None


STATUS_LABEL = {"reproduced": "✔ reproduced", "partial": "◐ partially (scaled down)",
                "paper-profile-only": "◇ paper profile only", "not-reproduced": "✘ not reproduced"}


def scorecard(profile: str = "cpu", root=None) -> pd.DataFrame:
    """One row per artifact: status (and the budget of the record it comes from), what was scaled down or why not,
    claims passed, the `full` budget's targets met (on a `full` record), fidelity (:func:`fidelity.per_artifact`),
    the audit's largest gap, page."""
    close = fidelity.per_artifact(fidelity.frame(profile, root))
    rows = []
    for a in sections.catalogue():
        art, what, page, reason = a.id, a.what, a.page, a.reason
        rec = results.shown(a.holder or art, profile, root)
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
                     "targets": _targets(a, rec),
                     "fidelity": f"in `{a.holder}`" if a.holder and a.holder in close else close.get(art, ""),
                     "pgd_minus_aa": _gap(*([rec] if not a.holder else []), *parts), "page": page or ""})
    return pd.DataFrame(rows)


def _targets(a: Artifact, record: dict | None) -> str:
    """The `full` budget's targets of ``a`` met on its `full` record ("met/all"; empty at another budget)."""
    if a.targets is None or record is None or record["profile"] != "full":
        return ""
    mine = [t for t in a.targets(record) if t["id"].startswith(a.id)]
    return f"{sum(t['passed'] for t in mine)}/{len(mine)}" if mine else ""


def _records(ids: tuple[str, ...], profile: str, root) -> list[dict | None]:
    """The stored records of ``ids`` (an artifact and its ``parts``), None where none is stored."""
    return [results.shown(i, profile, root) for i in ids]


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


def audits(profile: str = "cpu", root=None) -> pd.DataFrame:
    """Every network audited with AutoAttack in the records the book shows: its artifact and budget, images, clean,
    PGD and AutoAttack accuracy (percent), the gap (points), the points each attack found below PGD, and the
    minutes AutoAttack took."""
    rows = []
    for a in sections.catalogue():
        if a.holder:
            continue
        for rec in (r for r in _records((a.id, *a.parts), profile, root) if r):
            for r in ((rec.get("audit") or {}).get("rows") or []):
                found = {k: v for k, v in found_by(r).items() if v > 0}
                rows.append({"artifact": rec["artifact"], "budget": rec["profile"], "network": label(r),
                             "images": r["n"], "clean": 100 * r["clean_acc"], "PGD": 100 * r["pgd_acc"],
                             "AutoAttack": 100 * r["autoattack_acc"], "gap": 100 * r["gap"],
                             "found by (points)": ", ".join(f"{k} {100 * v:.1f}" for k, v in found.items()) or "—",
                             "attacks": len(r["autoattack_after"]), "minutes": r["autoattack_seconds"] / 60})
    return pd.DataFrame(rows)


def training_seconds(row: dict) -> float:
    """A run's training time: its ``train_seconds``, or where its stored epochs add up to more, their sum (a run
    resumed over several processes before 2026-12-06 counted only its last process's time; the epochs' own seconds
    leave out the curve's measurements, so the sum is a floor)."""
    return max(row["train_seconds"], sum(e.get("seconds", 0.0) for e in row.get("history") or []))


def costs(profiles: tuple[str, ...] = ("cpu", "full"), root=None) -> pd.DataFrame:
    """What each stored record cost, as its provenance and rows recorded it (on the machine of its date): per record
    (``artifact`` at cpu, ``artifact@profile`` otherwise), the networks trained (``nets``), minutes of training, of
    evaluation and of AutoAttack (summed over its networks, each on ``thr`` threads), and the record's wall minutes
    where it trains no network."""
    out = []
    for a in sections.catalogue():
        if a.holder:
            continue
        for art in (a.id, *a.parts):
            for profile in dict.fromkeys(profiles):
                rec = results.load(art, profile, root)
                if rec is None:
                    continue
                trained = [{**r, "train_seconds": training_seconds(r)} for r in rec["rows"]
                           if isinstance(r, dict) and r.get("train_seconds") is not None]
                audited = (rec.get("audit") or {}).get("rows") or []
                minutes = lambda key, rows: sum(r.get(key) or 0 for r in rows) / 60 if rows else None  # noqa: E731
                out.append({"record": art if profile == "cpu" else f"{art}@{profile}", "nets": len(trained),
                            "train": minutes("train_seconds", trained), "eval": minutes("eval_seconds", trained),
                            "AA": minutes("autoattack_seconds", audited),
                            "wall": None if trained else rec["provenance"]["seconds"] / 60,
                            "thr": rec["provenance"].get("threads"), "date": rec["provenance"]["date"][:10]})
    return pd.DataFrame(out)


def _link(page: str) -> str:
    """A MyST link to a book page, relative to the scorecard page (book/executed/scorecard.ipynb)."""
    if not page:
        return ""
    if page.startswith("executed/"):
        return f"[open]({page.removeprefix('executed/')}.ipynb)"
    return f"[open](../{page}.md)"


def markdown_table(card: pd.DataFrame) -> str:
    """The scorecard as a compact Markdown table (the long details are in :func:`details_table`)."""
    lines = ["| artifact | status | claims (targets) | paper − ours: max / mean (n) | PGD − AA | page |",
             "|---|---|---|---|---|---|"]
    for r in card.itertuples():
        claims = r.claims + (f" ({r.targets} targets)" if r.targets else "")
        lines.append(f"| `{r.artifact}` {r.what} | {r.status} | {claims} | {r.fidelity} | {r.pgd_minus_aa} "
                     f"| {_link(r.page)} |")
    return "\n".join(lines)


def details_table(card: pd.DataFrame) -> str:
    """Per artifact, what was scaled down, or why it is not reproduced (a Markdown table)."""
    return "\n".join(["| artifact | details |", "|---|---|"] +
                      [f"| `{r.artifact}` | {r.details} |" for r in card.itertuples() if r.details])
