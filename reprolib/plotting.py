"""House style for the book's figures: one seaborn theme and palette, one function per recurring figure."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

PALETTE = "colorblind"
PAPER_MARKER = {"marker": "X", "s": 90, "edgecolor": "black", "linewidth": 0.8}


def setup() -> None:
    """Apply the book's style (call once per notebook); in a kernel, render figures as PNG."""
    try:
        from IPython import get_ipython

        ip = get_ipython()
        if ip is not None:
            ip.run_line_magic("matplotlib", "inline")
    except ImportError:
        pass
    sns.set_theme(context="notebook", style="whitegrid", palette=PALETTE)
    plt.rcParams.update({"figure.dpi": 110, "savefig.bbox": "tight", "figure.figsize": (7.5, 4.2)})


def glue_figure(key: str, fig: plt.Figure) -> None:
    """Glue a figure for a ``{glue:figure}`` directive and close it (so it is not shown twice)."""
    from myst_nb import glue

    glue(key, fig, display=False)
    plt.close(fig)


def separation_histogram(frame: pd.DataFrame, minima: dict[str, float], eps: dict[str, float]) -> plt.Figure:
    """Fraction of test points per separation bin (20 bins on [0, 1]); dashed: min (= 2r), dotted: 2ε."""
    datasets = list(dict.fromkeys(frame["dataset"]))
    fig, axes = plt.subplots(1, len(datasets), figsize=(4.2 * len(datasets), 3.6), squeeze=False, sharey=True)
    colours = sns.color_palette(PALETTE, len(datasets))
    for ax, name, colour in zip(axes[0], datasets, colours):
        sub = frame[frame["dataset"] == name]
        sns.histplot(x=sub["distance"], weights=sub["count"] / sub["count"].sum(), bins=20, binrange=(0, 1),
                     stat="count", color=colour, ax=ax)
        ax.axvline(minima[name], ls="--", color="black", lw=1.2, label=f"min = 2r = {minima[name]:.3f}")
        if eps.get(name) is not None:
            ax.axvline(2 * eps[name], ls=":", color="crimson", lw=1.5, label=f"2ε = {2 * eps[name]:g}")
        ax.set(title=name, xlabel="L∞ distance to nearest other-class training image (pixels in [0,1])",
               ylabel="fraction of test points", xlim=(0, 1))
        ax.xaxis.label.set_size(8)
        ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    return fig


def lipschitz_scatter(rows: list[dict]) -> plt.Figure:
    """closer_look Table 2: adversarial test accuracy vs Lipschitz constant per method, one panel per
    architecture; paper points as X in the method's colour."""
    df = pd.DataFrame(rows)
    archs, methods = list(dict.fromkeys(df["arch"])), list(dict.fromkeys(df["method"]))
    colours = dict(zip(methods, sns.color_palette(PALETTE, len(methods))))
    width, height = plt.rcParams["figure.figsize"]
    fig, axes = plt.subplots(1, len(archs), sharey=True, squeeze=False, figsize=(width * (0.6 + 0.4 * len(archs)),
                                                                                  height))
    agg = df.groupby(["arch", "method"], sort=False).agg(lip=("lipschitz", "mean"), adv=("adv_test_acc", "mean"),
                                                         lip_sd=("lipschitz", "std"), adv_sd=("adv_test_acc", "std"))
    for ax, arch in zip(axes[0], archs):
        for method, r in agg.loc[arch].iterrows():
            ax.errorbar(r["lip"], 100 * r["adv"], xerr=np.nan_to_num(r["lip_sd"]),
                        yerr=np.nan_to_num(100 * r["adv_sd"]), fmt="o", color=colours[method], ms=8, capsize=3,
                        label=f"{method} (ours)")
        for r in df[df["arch"] == arch].drop_duplicates("method").itertuples():
            p = r.paper or {}
            if "lipschitz" in p:
                ax.scatter(p["lipschitz"], 100 * p["adv_test_acc"], color=colours[r.method], **PAPER_MARKER)
        ax.set(xscale="log", title=arch, xlabel="empirical local Lipschitz constant (log scale)")
    axes[0][0].set_ylabel("adversarial test accuracy (%)")
    axes[0][-1].scatter([], [], color="grey", label="paper (same colour)", **PAPER_MARKER)
    axes[0][-1].legend(fontsize=7, bbox_to_anchor=(1.02, 1), loc="upper left")
    fig.tight_layout()
    return fig
