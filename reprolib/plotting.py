"""House style for the book's figures: one seaborn theme and palette, and gluing. A figure that only one paper
draws lives with that paper (``reprolib.papers.<paper>``)."""
from __future__ import annotations

import matplotlib.pyplot as plt
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


def show(fig: plt.Figure) -> None:
    """Show a figure in the page's output and close it (so it is not shown twice)."""
    from IPython.display import display

    display(fig)
    plt.close(fig)
