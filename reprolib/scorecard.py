"""The reproduction scorecard: every artifact of the four papers (REPRO_SPEC ids), with its status.

The catalogue below is the list of artifacts and, for each, why it is not reproduced *if* no result
exists. Status, numbers and claims come only from ``results/``: an artifact with a stored record
takes that record's status; without one it is reported as not reproduced, with the reason.
"""
from __future__ import annotations

import pandas as pd

from . import results

OFFLINE = "needs a dataset this offline machine cannot download"
GPU = "needs CIFAR-10 (or larger) and a GPU"
NOT_YET = "not built in this version of the book"
NO_NUMBERS = "an illustration with no numbers to reproduce"
MISSING_APPENDIX = "its numbers are in an appendix missing from the provided text"

# (artifact id, what it is, page docname under book/ or None, reason when there is no result,
#  artifact whose record holds it if different)
CATALOGUE: list[tuple[str, str, str | None, str, str | None]] = [
    ("trades.eq1", "robust = natural + boundary error", "trades/index", NOT_YET, None),
    ("trades.toy", "toy example: Table 1, Eq. 2, Fig. 2", "trades/index", NOT_YET, None),
    ("trades.table2", "calibrated losses and their ψ-transforms", "trades/index", NOT_YET, None),
    ("trades.thm3_1", "upper bound on the robust error (theorem)", "trades/index", NOT_YET, None),
    ("trades.thm3_2", "tightness of the bound (theorem)", "trades/index", NOT_YET, None),
    ("trades.table3", "tightness on binary MNIST", "trades/index", NOT_YET, None),
    ("trades.table4", "sensitivity to λ, MNIST and CIFAR-10", "trades/index", NOT_YET + "; CIFAR columns: " + GPU, None),
    ("trades.table5", "white-box comparison with other defences", "trades/index", GPU, None),
    ("trades.table6", "black-box transfer, MNIST", "trades/index", NOT_YET, None),
    ("trades.table7", "black-box transfer, CIFAR-10", "trades/index", GPU, None),
    ("trades.fig1", "decision-boundary illustration", None, NO_NUMBERS, None),
    ("trades.fig3", "NeurIPS 2018 Adversarial Vision Challenge", None, "a past competition's leaderboard", None),
    ("cake.thm3_1", "Tsipras et al. trade-off and its numbers", "executed/cake/tsipras", NOT_YET, None),
    ("cake.thm5_2", "r-separation ⇒ an accurate and robust classifier", "executed/closer_look/existence",
     NOT_YET, "closer_look.thm4_2"),
    ("cake.table2", "separation of Fashion-MNIST, Chest X-Ray, GTSRB", "executed/closer_look/separation",
     NOT_YET, None),
    ("cake.table3", "BatchNorm under natural training and TRADES (MNIST)", "cake/index", NOT_YET, None),
    ("closer_look.table1", "real image datasets are r-separated", "executed/closer_look/separation", NOT_YET, None),
    ("closer_look.fig3", "histograms of per-point separation", "executed/closer_look/separation", NOT_YET,
     "closer_look.table1"),
    ("closer_look.lemma4_1", "margin + local Lipschitzness ⇒ astuteness", "closer_look/index", NOT_YET,
     "closer_look.thm4_2"),
    ("closer_look.thm4_2", "r-separated ⇒ a 1/r-Lipschitz astute classifier exists", "executed/closer_look/existence",
     NOT_YET, None),
    ("closer_look.fig4", "the spiral example", "executed/closer_look/existence", NOT_YET, "closer_look.thm4_2"),
    ("closer_look.table2", "MNIST: smoothness, robustness, generalisation of 10 methods",
     "executed/closer_look/table2", NOT_YET, None),
    ("closer_look.table3", "CIFAR-10 and Restricted ImageNet rows", "executed/closer_look/table3",
     "paper profile only (CIFAR-10 online and a GPU; Restricted ImageNet has no loader): the page shows the "
     "paper's numbers", None),
    ("closer_look.table4", "dropout narrows generalisation gaps (SVHN, CIFAR-10)", "executed/closer_look/dropout",
     OFFLINE + " (SVHN, CIFAR-10) and a GPU", None),
    ("closer_look.appC", "proof-of-concept robust and accurate networks", None, MISSING_APPENDIX, None),
    ("closer_look.appE_staircase", "staircase example with splines", None, MISSING_APPENDIX, None),
    ("closer_look.appE1_multitarget", "multi-targeted attack", None, MISSING_APPENDIX, None),
    ("spatial.prop1", "Bayes classifier accurate but not shift-robust", "executed/spatial/theory", NOT_YET, None),
    ("spatial.thm2", "adversarial robustness ⇒ low spatial accuracy", "executed/spatial/theory", NOT_YET, None),
    ("spatial.table1", "MNIST StdCNN and p4 GCNN architectures", "spatial/index",
     "architectures only: built and unit-tested in reprolib, no chapter page yet", None),
    ("spatial.fig6", "augmentation: invariance up, robustness down (MNIST)", "spatial/index", NOT_YET, None),
    ("spatial.fig7", "adversarial training: robustness up, invariance down (MNIST)", "spatial/index", NOT_YET, None),
    ("spatial.fig14", "rotation range vs DeepFool distance and PGD accuracy", "spatial/index", NOT_YET, None),
    ("spatial.cifar", "CIFAR-10/100 and Tiny ImageNet figures (figs 1–5, 8–12)", None, GPU + " (" + OFFLINE + ")",
     None),
]

STATUS_LABEL = {"reproduced": "✔ reproduced", "partial": "◐ partially (scaled down)",
                "paper-profile-only": "◇ paper profile only", "not-reproduced": "✘ not reproduced"}


def scorecard(profile: str = "cpu", root=None) -> pd.DataFrame:
    """One row per artifact: status, what was scaled down or why not, claims passed, page."""
    rows = []
    for art, what, page, reason, holder in CATALOGUE:
        rec = results.load(holder or art, profile, root)
        claims = [c for c in (rec or {}).get("claims", []) if c["id"].startswith(art)] if rec else []
        if rec is None:
            status = "paper-profile-only" if reason.startswith("paper profile only") else "not-reproduced"
            detail = reason
        else:
            status, detail = rec["status"], rec.get("notes", "")
        rows.append({"artifact": art, "what": what, "status": STATUS_LABEL[status], "details": detail,
                     "claims": f"{sum(c['passed'] for c in claims)}/{len(claims)}" if claims else "",
                     "page": page or ""})
    return pd.DataFrame(rows)


def all_claims(profile: str = "cpu", root=None) -> pd.DataFrame:
    """Every encoded claim across chapters with its outcome."""
    rows = []
    for art, *_ in CATALOGUE:
        rec = results.load(art, profile, root)
        for c in (rec or {}).get("claims", []):
            rows.append({"claim": c["id"], "statement": c["text"], "holds": "✔" if c["passed"] else "✘",
                         "evidence": c["evidence"]})
    return pd.DataFrame(rows, columns=["claim", "statement", "holds", "evidence"])


def markdown_table(card: pd.DataFrame) -> str:
    """The scorecard as a Markdown table whose page column links to the book's pages."""
    lines = ["| artifact | what | status | details | claims | page |", "|---|---|---|---|---|---|"]
    for r in card.itertuples():
        # MyST document links, relative to the scorecard page (book/executed/scorecard.ipynb).
        if not r.page:
            link = ""
        elif r.page.startswith("executed/"):
            link = f"[open]({r.page.removeprefix('executed/')}.ipynb)"
        else:
            link = f"[open](../{r.page}.md)"
        lines.append(f"| `{r.artifact}` | {r.what} | {r.status} | {r.details} | {r.claims} | {link} |")
    return "\n".join(lines)
