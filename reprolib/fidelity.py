"""How close the book came: every number of the papers that a record compares with its own, side by side.

A record states a paper's numbers where it reproduces them: a row (or any nested entry, e.g. Table 6's transfer
cells) carries ``paper``, a dict from a metric to the paper's value, beside its own value of that metric. Those pairs
are the comparisons; nothing here knows a paper. Entries whose ``paper_relation`` is set state a bound (the paper's
number is an inequality, e.g. Proposition 1's ≥), not a value, and are left out of the distances, as are the papers'
spreads (``*_sd``).

Distances are in *points*: for a quantity in [0, 1] (accuracies, errors, risks, gaps; most of the book's numbers)
100 × |paper − ours|; a larger quantity (a Lipschitz constant, a cross-entropy above 1) is compared relatively,
100 × |paper − ours| / |paper| (percent of the paper's value), and kept apart in the figure.
"""
from __future__ import annotations

import math
from typing import Any, Iterator

import pandas as pd

from . import results, sections

# Fields that name an entry (in this order) where a row carries them: the label of a comparison.
ID_KEYS = ("dataset", "arch", "method", "seed", "source", "target", "lam", "eps", "kind", "case", "classifier", "loss",
           "theta", "d", "m", "delta", "p", "transform", "m_over_d", "eta")
COLUMNS = ["artifact", "chapter", "budget", "entry", "metric", "paper", "ours", "scale", "distance"]


def _entries(obj: Any) -> Iterator[dict]:
    """Every dict inside ``obj`` (depth first) that carries a non-empty ``paper`` dict."""
    if isinstance(obj, dict):
        if isinstance(obj.get("paper"), dict) and obj["paper"]:
            yield obj
        for key, value in obj.items():
            if key not in ("paper", "config", "provenance"):
                yield from _entries(value)
    elif isinstance(obj, list):
        for value in obj:
            yield from _entries(value)


def _number(value: Any) -> float | None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    return float(value) if ok else None


def _label(entry: dict) -> str:
    return ", ".join(f"{k}={entry[k]:g}" if isinstance(entry[k], float) else f"{k}={entry[k]}"
                     for k in ID_KEYS if k in entry and k not in entry["paper"] and entry[k] not in (None, ""))


def comparisons(record: dict, artifact: str | None = None) -> list[dict]:
    """The (paper, ours) pairs of one record: one dict per compared number (see :data:`COLUMNS`)."""
    artifact = artifact or record["artifact"]
    out = []
    for entry in _entries(record):
        if entry.get("paper_relation"):
            continue
        for metric, value in entry["paper"].items():
            paper, ours = _number(value), _number(entry.get(metric))
            if metric.endswith("_sd") or paper is None or ours is None:
                continue
            unit = max(abs(paper), abs(ours)) <= 1.0
            distance = 100 * abs(paper - ours) / (1.0 if unit else abs(paper) or 1.0)
            out.append({"artifact": artifact, "chapter": artifact.partition(".")[0], "budget": record["profile"],
                        "entry": _label(entry), "metric": metric, "paper": paper, "ours": ours,
                        "scale": "points" if unit else "% of paper", "distance": distance})
    return out


def frame(profile: str = "cpu", root=None) -> pd.DataFrame:
    """Every comparison of every artifact of the catalogue, from the records the book shows (:func:`results.shown`:
    ``full`` where it exists). An artifact held by another's record is counted once, under its holder."""
    rows = []
    for a in sections.catalogue():
        if a.holder:
            continue
        for art in (a.id, *a.parts):
            rec = results.shown(art, profile, root)
            if rec is not None:
                rows += comparisons(rec, a.id)
    return pd.DataFrame(rows, columns=COLUMNS)


def per_artifact(df: pd.DataFrame) -> dict[str, str]:
    """Artifact -> its fidelity in a few characters: the largest and the mean distance over its compared numbers and
    how many, in points (and separately in % of the paper's value where it has larger quantities)."""
    out = {}
    for art, g in df.groupby("artifact", sort=False):
        out[art] = "; ".join(f"{s['distance'].max():.{_digits(s)}f} / {s['distance'].mean():.{_digits(s)}f}"
                             f"{' pt' if scale == 'points' else ' %'} ({len(s)})"
                             for scale, s in g.groupby("scale", sort=False))
    return out


def _digits(s: pd.DataFrame) -> int:
    return 1 if s["distance"].max() < 100 else 0


def figure(df: pd.DataFrame):
    """Paper's value (x) against ours (y), with the diagonal: quantities in [0, 1] in percent on the left, the larger
    ones on log axes on the right; colour by chapter, marker by budget."""
    import matplotlib.pyplot as plt

    chapters = list(dict.fromkeys(df["chapter"]))
    colours = dict(zip(chapters, plt.get_cmap("tab10").colors))
    markers = {"smoke": "x", "cpu": "o", "full": "*", "paper": "D"}
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.6), gridspec_kw={"width_ratios": [1.35, 1]})
    for ax, scale in zip(axes, ("points", "% of paper")):
        s = df[df["scale"] == scale]
        k = 100 if scale == "points" else 1
        for (chapter, budget), g in s.groupby(["chapter", "budget"], sort=False):
            ax.scatter(k * g["paper"], k * g["ours"], s=42 if budget == "full" else 18, alpha=0.75,
                       color=colours[chapter], marker=markers.get(budget, "o"), label=f"{chapter} · {budget}")
        lo, hi = ((-10, 105) if scale == "points" else
                  (0.5 * min(s[["paper", "ours"]].abs().min().min(), 1), 2 * s[["paper", "ours"]].abs().max().max())
                  if len(s) else (1, 10))
        ax.plot([lo, hi], [lo, hi], color="grey", lw=0.8, zorder=0)
        if scale != "points":
            ax.set_xscale("log")
            ax.set_yscale("log")
        ax.set_xlim(lo, hi)
        ax.set_ylim(lo, hi)
        ax.set_xlabel("paper" + (" (%)" if scale == "points" else ""))
        ax.set_ylabel("ours" + (" (%)" if scale == "points" else ""))
        ax.set_title(f"quantities in [0, 1] ({len(s)} numbers)" if scale == "points" else
                     f"larger quantities, log axes ({len(s)} numbers)", fontsize=10)
    handles, labels = axes[0].get_legend_handles_labels()
    extra = [(h, lab) for h, lab in zip(*axes[1].get_legend_handles_labels()) if lab not in labels]
    if extra:
        handles, labels = handles + [h for h, _ in extra], labels + [lab for _, lab in extra]
    fig.legend(handles, labels, loc="lower center", ncol=min(len(labels), 5), fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    return fig
