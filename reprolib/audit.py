"""The robustness audit of a trained model: AutoAttack beside the chapter's PGD on the same images, and the
gradient-masking checks, as one JSON-able record; its summary over a chapter's models; the page's box.

Every chapter that trains a robust model calls :func:`audit_model` as the model is trained (the record is
attached to the model's own run, see :func:`reprolib.results.attach`), then :func:`summary` over its models
for the chapter's record. Pages show :func:`frame` and :func:`box`, and say in their own words
(``book/snippets/audit.md``) what :func:`facts` gives them; the scorecard reads the summary's
``max_gap``. A PGD − AutoAttack gap above 2 points (``masking.GAP_WARNING``) is a warning, shown, not hidden.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pandas as pd
import torch
import torch.nn as nn
from IPython.display import Markdown

from . import losses
from .autoattack import TWO_CLASS_ATTACKS, robust_accuracy_pair
from .claims import claim
from .masking import GAP_WARNING, masking_checks


def audit_model(model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, eps: float, steps: int, step_size: float,
                id_prefix: str, n: int | None = 500, version: str = "standard", attacks: list[str] | None = None,
                seed: int = 0,
                source_model: nn.Module | None = None, source_name: str | None = None,
                progress: bool = True) -> dict:
    """AutoAttack (``version``) and PGD (``steps`` of ``step_size``, random start from ``seed``) on the first
    ``n`` of ``(x, y)`` (``attacks``: those of a "custom" version), and the masking checks on those images
    (``source_model``: the model black-box examples are crafted on). Returns numbers and claims (ids start with
    ``id_prefix``)."""
    x, y = (x[:n], y[:n]) if n is not None else (x, y)
    pair = robust_accuracy_pair(model, x, y, eps=eps, pgd_steps=steps, pgd_step_size=step_size, version=version,
                                attacks=attacks, seed=seed, progress=progress)
    checks = masking_checks(model, x, y, eps=eps, steps=steps, step_size=step_size, id_prefix=id_prefix,
                            source_model=source_model, source_name=source_name, autoattack=pair, seed=seed,
                            progress=progress)
    keep = ("n", "eps", "norm", "seed", "clean_acc", "pgd_acc", "autoattack_acc", "gap", "worst_case_acc")
    return {**{k: pair[k] for k in keep}, "pgd": pair["pgd"], "autoattack": pair["autoattack"],
            "masking": checks["values"], "claims": checks["claims"]}


def id_prefix(artifact: str, arch: str, method: str, seed: int) -> str:
    """The id prefix of one network's audit claims."""
    return f"{artifact}.{arch}.{method}.s{seed}"


def same_model(id_prefix: str, now: float, stored: float, what: str = "clean test accuracy") -> dict:
    """The check that the audited model is the one its row measured (``what``, measured ``now`` on the audited
    model and ``stored`` in the row, is the same): a model whose checkpoint did not survive is retrained to be
    audited, and across versions of the training code that gives a twin, not the same network."""
    c = claim(f"{id_prefix}.same_model", f"The audited model is the one the row measured (same {what})",
              now == stored, f"{now:.4f} now, {stored:.4f} in the row")
    return {**c, "warning": False, "warning_text": ""}


def summary(audits: list[dict], labels: list[dict]) -> dict:
    """A chapter's audits in one place: a row per model (``labels`` name it, e.g. arch / method / seed), every
    masking claim, the largest PGD − AutoAttack gap and the warnings (empty when none)."""
    rows, claims = [], []
    for label, a in zip(labels, audits):
        warn = [c["warning_text"] for c in a["claims"] if c.get("warning")]
        rows.append({**label, "n": a["n"], "clean_acc": a["clean_acc"], "pgd_acc": a["pgd_acc"],
                     "autoattack_acc": a["autoattack_acc"], "gap": a["gap"],
                     "transfer_acc": a["masking"].get("transfer_acc"),
                     "pgd_more_steps_acc": a["masking"].get("pgd_more_steps_acc"),
                     "pgd_restarts_acc": a["masking"].get("pgd_restarts_acc"),
                     "autoattack_after": a["autoattack"]["robust_acc_after"],
                     "autoattack_seconds": a["autoattack"]["seconds"], "warnings": warn})
        claims += a["claims"]
    gaps = [r["gap"] for r in rows]
    return {"rows": rows, "claims": claims, "max_gap": max(gaps) if gaps else None,
            "gap_warning": GAP_WARNING, "warnings": [f"{c['id']}: {c['warning_text']}" for c in claims
                                                     if c.get("warning")]}


def frame(audit_summary: dict) -> pd.DataFrame:
    """PGD and AutoAttack side by side per model (one row per network, named by :func:`label`), in percent: clean,
    PGD, AutoAttack and their gap first (what a reader compares), then PGD's stronger variants and transfer (the
    masking checks), then the attack of AutoAttack's that found most of a positive gap. Eight columns, so that it
    fits the page; the images attacked are in ``attrs["images"]``."""
    rows = audit_summary["rows"]
    cols = {"clean_acc": "clean", "pgd_acc": "PGD", "autoattack_acc": "AA", "gap": "PGD − AA",
            "pgd_more_steps_acc": "PGD 5× steps", "pgd_restarts_acc": "PGD 5 restarts", "transfer_acc": "transfer"}
    out = (100 * pd.DataFrame(rows, index=pd.Index([label(r) for r in rows], name="network"))[list(cols)]
           .astype(float)).rename(columns=cols)
    out["found most"] = [max(found_by(r).items(), key=lambda kv: kv[1])[0] if r["gap"] > 0 else "—" for r in rows]
    out.attrs["images"] = sorted({int(r["n"]) for r in rows})
    return out


def styled(audit_summary: dict | None):
    """:func:`frame` as the pages show it (percent to one decimal, the images attacked in its caption), or None
    without audits."""
    if not audit_summary or not audit_summary["rows"]:
        return None
    df = frame(audit_summary)
    numbers = [c for c in df.columns if c != "found most"]
    return df.style.format("{:.1f}", na_rep="—", subset=numbers).set_caption(
        "Accuracy (%) on the first " + " / ".join(map(str, df.attrs["images"])) + " test images; PGD − AA in points; "
        "transfer: PGD examples of the natural network; found most: the attack of AutoAttack's that found most of "
        "the gap")


def found_by(row: dict) -> dict[str, float]:
    """For one audited model, what each of AutoAttack's attacks (in the order they ran) took off the accuracy below
    PGD's level: the points PGD missed, attack by attack (they sum to the gap where the gap is positive)."""
    level, drops = row["pgd_acc"], {}
    for attack, acc in row["autoattack_after"].items():
        drops[attack], level = max(level - acc, 0.0), min(level, acc)
    return drops


def _flagged(audit_summary: dict) -> list[tuple[dict, str, float]]:
    """Each model whose PGD − AutoAttack gap is flagged, with the AutoAttack attack that found most of the points
    PGD missed (the largest drop in accuracy below PGD's level) and that drop."""
    out = []
    for r in audit_summary["rows"]:
        if r["gap"] <= audit_summary["gap_warning"] + 1e-12:
            continue
        drops = found_by(r)
        top = max(drops, key=drops.get)
        out.append((r, top, drops[top]))
    return out


def gap_lines(audit_summary: dict, most: int = 8) -> list[str]:
    """In words, for each model whose gap is flagged, which of AutoAttack's attacks found the points PGD missed;
    above ``most`` models, one line for all of them (how many, the range of gaps, the attacks that found them)."""
    flagged = _flagged(audit_summary)
    if len(flagged) > most:
        gaps = [100 * r["gap"] for r, _, _ in flagged]
        tops = {t: sum(top == t for _, top, _ in flagged) for t in dict.fromkeys(top for _, top, _ in flagged)}
        return [f"{len(flagged)} of the {len(audit_summary['rows'])} audited networks, gaps "
                f"{min(gaps):+.1f} to {max(gaps):+.1f} points (each in the table below), most of each gap found "
                "by " + ", ".join(f"{t} ({n} network{'s' if n > 1 else ''})" for t, n in tops.items())]
    return [f"{label(r)}: PGD {100 * r['pgd_acc']:.1f}%, AutoAttack {100 * r['autoattack_acc']:.1f}%, "
            f"most of the {100 * r['gap']:.1f}-point gap is found by {top} ({100 * drop:.1f} points)"
            for r, top, drop in flagged]


def box(audit_summary: dict | None) -> Markdown:
    """The gradient-masking box: each check per model (✔ / ✘ / ⚠), and the warnings in words."""
    if not audit_summary or not audit_summary["rows"]:
        return Markdown("*No model of this configuration was audited with AutoAttack.*")
    lines = ["| | check | evidence |", "|---|---|---|"]
    for c in audit_summary["claims"]:
        mark = ("⚠ " if c.get("warning") else "") + ("✔" if c["passed"] else "✘")
        cells = (mark, f"`{c['id'].rsplit('.', 1)[0]}`: {c['text']}", c["evidence"])
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    n = sum(c["passed"] for c in audit_summary["claims"])
    gap = audit_summary["max_gap"]
    lines.append(f"\n**{n} of {len(audit_summary['claims'])} checks hold.** Largest PGD − AutoAttack gap: "
                 f"{100 * gap:+.1f} points (warning above {100 * audit_summary['gap_warning']:g}).")
    if audit_summary["warnings"]:
        lines.append("\n**Warnings:** " + "; ".join(w.replace("|", "\\|") for w in audit_summary["warnings"]))
    return Markdown("\n".join(lines))


def label(row: dict) -> str:
    """A model's name in words: its architecture and method, and its seed when the row has one."""
    return " ".join(str(row[k]) for k in ("arch", "method") if k in row) + (f" (seed {row['seed']})" if "seed" in row
                                                                          else "")


def robust_rows(record: dict) -> list[dict]:
    """The rows of a record whose model is trained against an adversary: in a grid's record, those whose method's
    preset has a loss other than the natural one (AT, TRADES, RST, GR, LLR, Adv-PGD, ...); a section that trains
    outside a grid marks its rows ``adversarially_trained``. Augmentation-only and natural models are not robust
    models."""
    specs = (record.get("config") or {}).get("method_specs") or {}
    return [r for r in record.get("rows") or [] if r.get("adversarially_trained")
            or not losses.METHODS[specs.get(r.get("method"), {}).get("method", "natural")].natural]


def unaudited_rows(record: dict, audit_summary: dict | None = None) -> list[dict]:
    """The robust models (:func:`robust_rows`) of a record that its audit (``audit_summary``, default the
    record's own) did not check."""
    key = ("arch", "method", "seed")
    summary = record.get("audit") if audit_summary is None else audit_summary
    done = {tuple(r.get(k) for k in key) for r in (summary or {}).get("rows", [])}
    return [r for r in robust_rows(record) if tuple(r.get(k) for k in key) not in done]


def unaudited(record: dict, audit_summary: dict | None = None) -> list[str]:
    """:func:`unaudited_rows` in words: one entry per architecture and set of seeds, naming its methods."""
    seeds: dict[tuple, list] = {}
    for r in unaudited_rows(record, audit_summary):
        seeds.setdefault((r.get("arch"), r["method"]), []).append(r.get("seed"))
    groups: dict[tuple, list[str]] = {}
    for (arch, method), s in seeds.items():
        groups.setdefault((arch, tuple(s)), []).append(method)
    return [" ".join(str(a) for a in (arch, ", ".join(methods)) if a is not None)
            + ("" if s == (None,) else f" (seed{'s' if len(s) > 1 else ''} {', '.join(map(str, s))})")
            for (arch, s), methods in groups.items()]


_STANDARD = ("apgd-ce", "apgd-t", "fab-t", "square")
_NAMES = {"apgd-ce": "APGD-CE", "apgd-t": "APGD-T", "fab-t": "FAB-T", "fab": "FAB", "square": "Square",
          "apgd-dlr": "APGD-DLR"}
NONE = "none"  # the value of a fact that has nothing to list


def _attacks(rows: list[dict]) -> str:
    """Which of AutoAttack's attacks the audited rows ran (the keys of ``autoattack_after``), and which version that
    is when it is one: a fact for the page's text."""
    ran = tuple(dict.fromkeys(a for r in rows for a in r["autoattack_after"]))
    names = ", ".join(_NAMES.get(a, a) for a in ran)
    kind = {_STANDARD: "the standard version", TWO_CLASS_ATTACKS: "the attacks defined for two classes",
            _STANDARD[:2]: "the standard version's first two"}.get(ran)
    return f"{kind}: {names}" if kind else names


def facts(*audits: tuple[str | None, dict | None, dict | None, int | None]) -> dict[str, str]:
    """What a page says about its audit, as values for its text (``book/snippets/audit.md``, glued by
    :func:`glue_facts`): which networks were audited, with which attacks, on which images, which robust networks of
    the table were not (:func:`unaudited`), the largest PGD − AutoAttack gap and the flagged ones (:func:`gap_lines`).
    Each of ``audits`` is ``(name, record, audit_summary, n_audit)``: the table's record, its audit (default the
    record's own) and the number of images audited (``None``: all); ``name`` (e.g. a dataset) labels its values when a
    page shows more than one grid's audit."""
    parts = []
    for name, record, summary, n_audit in audits:
        summary = ((record or {}).get("audit") if summary is None else summary) or {}
        parts.append(_Grid(f"{name}: " if name and len(audits) > 1 else "", record or {}, summary,
                           summary.get("rows", []), n_audit))
    audited = [r for p in parts for r in p.rows]
    gaps = [p.summary["max_gap"] for p in parts if p.rows]
    threshold = next((p.summary["gap_warning"] for p in parts if p.rows), GAP_WARNING)

    def each(value: Callable[["_Grid"], str]) -> str:
        """``value`` of every grid that has one, each after its name; "none" when no grid has one."""
        return "; ".join(f"{p.tag}{v}" for p in parts if (v := value(p))) or NONE

    return {
        "networks": each(lambda p: ", ".join(label(r) for r in p.rows) if len(p.rows) <= 4 else
                         f"the {len(p.rows)} networks of the table below"),
        "attacks": _attacks(audited) if audited else NONE,
        "images": each(lambda p: p.rows and (f"the first {p.n_audit} test images of the evaluation subset"
                                             if p.n_audit else "every test image of the evaluation subset")),
        "unaudited": each(lambda p: "; ".join(unaudited(p.record, p.summary))),
        "max_gap": f"{100 * max(gaps):+.1f} points" if gaps else NONE,
        "threshold": f"{100 * threshold:g}",
        "flagged": each(lambda p: p.rows and "; ".join(gap_lines(p.summary))),
    }


@dataclass(frozen=True)
class _Grid:
    """One grid's audit as :func:`facts` reads it: its name's prefix, record, audit summary, audited rows, images."""
    tag: str
    record: dict
    summary: dict
    rows: list
    n_audit: int | None


def glue_facts(values: dict[str, str]) -> None:
    """Glue :func:`facts` under the keys ``audit-<fact>`` that ``book/snippets/audit.md`` reads (a page includes
    that text where it speaks of its audit)."""
    from myst_nb import glue

    for key, value in values.items():
        glue(f"audit-{key.replace('_', '-')}", value, display=False)
