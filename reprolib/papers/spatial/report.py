"""Tables and figures of the spatial theory page (``spatial/theory``), built from stored records.

Like :mod:`reprolib.report`, nothing here types a number: tables come from a record's rows, curves from the
closed forms in :mod:`reprolib.papers.spatial.theory`.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from ...plotting import PALETTE
from . import theory as T

PROP1_CASES = {  # column label -> (row filter, how to aggregate over shifts j)
    "f* on X": (lambda r: r["transform"] == "none", "min"),
    "f*_j on r_j(X), lowest j": (lambda r: r["classifier"] == "f*_j", "min"),
    "f* on r_j(X), highest j ≠ id": (lambda r: r["transform"].startswith("r_") and r["classifier"] == "f*", "max"),
    "f* on r(X)": (lambda r: r["transform"] == "random r", "min"),
}


def prop1_table(rows: list[dict]) -> pd.DataFrame:
    """One row per (d, p); per case the exact and Monte Carlo accuracy (%), and a first row with the paper's bound."""
    out, paper = {}, {}
    for label, (keep, how) in PROP1_CASES.items():
        sub = pd.DataFrame([r for r in rows if keep(r)])
        if sub.empty:
            continue
        agg = sub.groupby(["d", "p"]).agg(exact=("accuracy", how), mc=("accuracy_mc", how))
        out[(label, "exact")] = 100 * agg["exact"]
        out[(label, "Monte Carlo")] = 100 * agg["mc"]
        r0 = sub.iloc[0]
        paper[(label, "exact")] = f"{r0['paper_relation']} {100 * r0['paper']['accuracy']:g}"
        paper[(label, "Monte Carlo")] = ""
    df = pd.DataFrame(out)
    df.columns = pd.MultiIndex.from_tuples(df.columns)
    df.index = pd.MultiIndex.from_tuples([(f"d = {d}", f"{p:g}") for d, p in df.index], names=["code", "p"])
    head = pd.DataFrame([paper], index=pd.MultiIndex.from_tuples([("paper", "p → ½")], names=["code", "p"]))
    head.columns = pd.MultiIndex.from_tuples(head.columns)
    return pd.concat([head, df.map(lambda v: f"{v:.2f}")])


def closed_form_table(record: dict) -> pd.DataFrame:
    """REPRO_SPEC's table: acc(f*, ·) in % by p (rows) and alignment a (columns; a = 1 is clean data)."""
    df = pd.DataFrame(record["closed_form_table"])
    df["a"] = df["a"].map(lambda a: "1 (clean)" if a == 1 else ("−1/7" if abs(a + 1 / 7) < 1e-12 else f"{a:g}"))
    return 100 * df.pivot(index="p", columns="a", values="accuracy")[["1 (clean)", "0.25", "0", "−1/7"]]


def thm2_bound_table(rows: list[dict]) -> pd.DataFrame:
    """Bounds by (m/d, p, η), with the paper's stated limit values where it gives them."""
    from ...report import paper_vs_ours

    bounds = [r for r in rows if r["kind"] == "bound"]
    return paper_vs_ours(bounds, index=["m_over_d", "p", "eta"],
                         metrics={"lower": "lower bound", "upper": "upper bound"}, percent=["lower", "upper"])


def thm2_classifier_table(rows: list[dict], m_over_d: float) -> pd.DataFrame:
    cols = {"clean": "clean", "robust": "robust (1 − η)", "spatial": "on r(X)", "spatial_mc": "on r(X), MC",
            "lower": "Thm 2 lower", "upper": "Thm 2 upper"}
    sub = pd.DataFrame([r for r in rows if r["kind"] == "classifier" and r["m_over_d"] == m_over_d])
    return (100 * sub.set_index("classifier")[list(cols)]).rename(columns=cols)


def prop1_figure(prop1: dict) -> plt.Figure:
    """Accuracy of f* against p for each alignment a of the shift with c (lines exact, dots Monte Carlo)."""
    fig, ax = plt.subplots(figsize=(7.5, 4.4))
    rows = [r for r in prop1["rows"] if r["transform"] != "random r"]
    codes: dict[float, set] = {}
    for r in rows:
        codes.setdefault(round(r["a"], 6), set()).add(r["d"])
    a_values = sorted(codes, reverse=True)
    colours = dict(zip(a_values, sns.color_palette(PALETTE, len(a_values))))
    grid = np.linspace(0.5, 0.95, 91)
    for a in a_values:
        name = "1 (clean, or f*_j on r_j)" if a == 1 else f"{a:g} (d = {', '.join(map(str, sorted(codes[a])))})"
        ax.plot(grid, [100 * T.prop1_shifted_accuracy(p, a) for p in grid], color=colours[a], label=f"a = {name}")
    for r in rows:
        ax.scatter(r["p"], 100 * r["accuracy_mc"], color=colours[round(r["a"], 6)], s=14, zorder=3)
    ax.axhline(97, ls="--", color="black", lw=1, label="paper: ≥ 97% (clean)")
    ax.axhline(85, ls=":", color="crimson", lw=1.5, label="paper: ≤ 85% (shifted)")
    ax.set(xlabel="p = Pr[x0 = y]", ylabel="accuracy of f* (%)")
    ax.legend(fontsize=7, bbox_to_anchor=(1.02, 1), loc="upper left")
    fig.tight_layout()
    return fig


def thm2_figure(thm2: dict) -> plt.Figure:
    """One panel per m/d: Theorem 2's interval (band) against robust accuracy 1 − η, the linear family f_β
    (line exact, dots Monte Carlo) and sign(x0) (star)."""
    rows = [r for r in thm2["rows"] if r["kind"] == "classifier"]
    p, d = rows[0]["p"], rows[0]["d"]
    c = T.codeword(d)
    fracs = sorted({r["m_over_d"] for r in rows})
    fig, axes = plt.subplots(1, len(fracs), figsize=(4 * len(fracs), 3.8), sharey=True, squeeze=False)
    colour = sns.color_palette(PALETTE, 4)
    robust_grid = np.linspace(0, 1, 201)
    betas = np.linspace(0, 30, 121)
    for ax, f in zip(axes[0], fracs):
        m = int(round(f * d))
        lo, up = zip(*(T.thm2_bounds(m=m, d=d, p=p, eta=1 - x) for x in robust_grid))
        ax.fill_between(100 * robust_grid, 100 * np.array(lo), 100 * np.array(up), color=colour[0], alpha=0.2,
                        label="Thm 2 interval")
        curve = [(T.linear_family_robust_accuracy(p, b, d), T.linear_family_spatial_accuracy(c, m, p, b))
                 for b in betas]
        ax.plot(*(100 * np.array(curve).T), color=colour[1], label="f_β, β ≥ 0 (exact)")
        sub = [r for r in rows if r["m_over_d"] == f]
        ax.scatter([100 * r["robust_mc"] for r in sub], [100 * r["spatial_mc"] for r in sub], color=colour[1], s=16,
                   zorder=3, label="Monte Carlo")
        sx = [r for r in sub if r["classifier"] == "sign(x0)"][0]
        ax.scatter(100 * sx["robust"], 100 * sx["spatial"], marker="*", s=160, color="black", zorder=4,
                   label="sign(x0)")
        ax.axhline(100 * (1 - f), ls="--", color="grey", lw=1, label="1 − m/d")
        ax.set(title=f"m/d = {f:g}", xlabel="robust accuracy 1 − η (%)", xlim=(0, 100), ylim=(0, 100))
    axes[0][0].set_ylabel("accuracy on r(X) (%)")
    axes[0][-1].legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return fig
