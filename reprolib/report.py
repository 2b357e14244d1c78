"""What a results page shows: paper vs ours tables, claims box, provenance footer, rerun note.

Everything here formats records from the results store; nothing computes or types a number.
"""
from __future__ import annotations

import html
from typing import Iterable

import pandas as pd
from IPython.display import HTML, Markdown

from . import profiles


def paper_vs_ours(rows: list[dict], *, index: Iterable[str], metrics: dict[str, str], percent: Iterable[str] = (),
                  tolerance: dict[str, float] | None = None) -> pd.DataFrame:
    """One row per result; for each metric the columns (label, paper), (label, ours), (label, Δ).

    ``metrics`` maps a row key to its display label; values listed in ``percent`` are fractions shown
    as percentages. ``tolerance`` (in display units) is stored in ``df.attrs`` for :func:`styled`.
    """
    index = list(index)
    percent = set(percent)
    table = {}
    for key, label in metrics.items():
        scale = 100.0 if key in percent else 1.0
        ours = [r.get(key) for r in rows]
        paper = [r.get("paper", {}).get(key) for r in rows]
        table[(label, "paper")] = [None if p is None else p * scale for p in paper]
        table[(label, "ours")] = [None if o is None else o * scale for o in ours]
        table[(label, "Δ")] = [None if p is None or o is None else (o - p) * scale for o, p in zip(ours, paper)]
    df = pd.DataFrame(table, index=pd.MultiIndex.from_tuples([tuple(r[k] for k in index) for r in rows], names=index)
                      if len(index) > 1 else pd.Index([r[index[0]] for r in rows], name=index[0]))
    df.columns = pd.MultiIndex.from_tuples(df.columns)
    df.attrs["tolerance"] = {metrics[k]: v for k, v in (tolerance or {}).items()}
    return df


def number(value: float | None, digits: int = 2, signed: bool = False) -> str:
    """A number for a table cell: ``digits`` decimals (a sign if ``signed``), an em dash where there is none."""
    if value is None or pd.isna(value):
        return "—"
    return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"


def mean_sd(mean: float | None, sd: float | None, digits: int = 2, scale: float = 1.0) -> str:
    """"mean ± sd" (both times ``scale``, e.g. 100 for percent) for a table cell; the mean alone where there is no
    spread (one seed), "—" where no mean."""
    if mean is None or pd.isna(mean):
        return "—"
    return number(scale * mean, digits) + ("" if sd is None or pd.isna(sd) else f" ± {number(scale * sd, digits)}")


def styled(df: pd.DataFrame, digits: int = 2, per_table: int = 2):
    """Format numbers; mark |Δ| above the stated tolerance in orange (tolerance shown in the caption). A paper-vs-ours
    table of more than ``per_table`` metrics (three columns each) is shown as several tables of ``per_table`` metrics,
    one under the other, so that none is wider than the page."""
    tol = df.attrs.get("tolerance", {})

    def colour(col: pd.Series):
        label, kind = col.name
        if kind != "Δ" or label not in tol:
            return [""] * len(col)
        return ["background-color: #fdd49e" if pd.notna(v) and abs(v) > tol[label] else "" for v in col]

    def one(part: pd.DataFrame, caption: bool):
        sty = part.style.format(lambda v: "—" if pd.isna(v) else f"{v:.{digits}f}").apply(colour, axis=0)
        if tol and caption:
            sty = sty.set_caption("Δ = ours − paper; orange: |Δ| above tolerance ("
                                  + ", ".join(f"{k}: {v:g}" for k, v in tol.items()) + ")")
        return sty

    groups = list(dict.fromkeys(df.columns.get_level_values(0))) if df.columns.nlevels > 1 else []
    if len(groups) <= per_table:
        return one(df, True)
    parts = [groups[i:i + per_table] for i in range(0, len(groups), per_table)]
    return HTML("".join(one(df[part], i == 0).to_html() for i, part in enumerate(parts)))


def by_group(df: pd.DataFrame, digits: int = 2, per_table: int = 1, fmt: str | None = None) -> HTML:
    """A table whose columns are grouped (e.g. dataset × metric, or metric × paper/ours) as several tables of
    ``per_table`` groups each, one under the other (captioned with the group's name when one group per table): each
    fits the page where the whole would not. ``fmt``: a format spec for every number (default ``digits`` decimals)."""
    spec = fmt or f".{digits}f"
    groups = list(dict.fromkeys(df.columns.get_level_values(0)))
    parts = [groups[i:i + per_table] for i in range(0, len(groups), per_table)]
    def one(part: list) -> str:
        sty = df[part].style.format(lambda v: "—" if v is None or pd.isna(v) else format(v, spec))
        return (sty.set_caption(str(part[0])) if per_table == 1 else sty).to_html()

    return HTML("".join(one(part) for part in parts))


def claims_box(claims: list[dict]) -> Markdown:
    """A table of the paper's claims as checked on our numbers."""
    if not claims:
        return Markdown("*No claims could be checked with this configuration.*")
    return _checks(claims, ("✔ holds", "✘ does not hold"), "claim", "checked claims hold")


def targets_box(targets: list[dict], record: dict) -> Markdown:
    """The `full` budget's targets (how close to the paper's numbers it was to come: ``reprolib.papers.<paper>
    .targets``) judged on the record the page shows; at another budget, a line saying where they are judged."""
    if record["profile"] != "full":
        return Markdown(f"*The `full` budget's targets are judged on its record; this page shows the "
                        f"`{record['profile']}` one.*")
    if not targets:
        return Markdown("*No target could be judged on this record.*")
    intro = ("Before its networks trained, the `full` budget was set targets: how close to the paper's own numbers "
             "a budget on two CPU cores was to come (the claims above are the paper's; these are ours), each judged "
             "on the stored numbers. Where one is not met, the training curves and the audit on this page are where "
             "to look for why.\n\n")
    return Markdown(intro + _checks(targets, ("✔ met", "✘ not met"), "target", "targets met").data)


def _checks(checks: list[dict], marks: tuple[str, str], what: str, summary: str) -> Markdown:
    lines = [f"| | {what} | evidence |", "|---|---|---|"]
    for c in checks:
        mark = marks[0] if c["passed"] else marks[1]
        if c.get("small_effect"):  # a paper's small ordering: reported with its seed spread, not expected to hold
            mark += " (small effect: reported, not asserted)"
        cells = (mark, c["text"], c["evidence"])
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    n = sum(c["passed"] for c in checks)
    small = sum(bool(c.get("small_effect")) for c in checks)
    lines.append(f"\n**{n} of {len(checks)} {summary}** on the numbers above"
                 + (f" ({small} of them small effects, reported either way)." if small else "."))
    return Markdown("\n".join(lines))


def provenance_footer(*records: dict) -> HTML:
    """Commit, profile, config hash, wall time, torch version and date of each record."""
    parts = []
    for r in records:
        p = r["provenance"]
        reused = "reused from results/" if r.get("reused") else "computed in this run"
        parts.append(
            f"<b>{html.escape(r['artifact'])}</b>: profile <code>{r['profile']}</code>, config "
            f"<code>{r['config_hash'][:12]}</code>, commit <code>{html.escape(p['commit'])}</code>, "
            f"{p['seconds']:.0f} s on {p['threads']} thread(s) ({html.escape(p['device'])}), "
            f"torch {p['torch']}, reprolib {p['reprolib']}, {p['date']} — {reused}")
    return HTML('<div class="provenance" style="font-size:0.8em;color:#555;border-top:1px solid #ccc;'
                'margin-top:1em;padding-top:0.5em">Provenance. ' + "<br>".join(parts) + "</div>")


def rerun_note(section: str, cfg: dict) -> Markdown:
    """The exact commands that rerun this page, and the parameters they accept."""
    params = ", ".join(f"`{k}`" for k in cfg)
    return Markdown(
        f"**Rerun this page.** `python -m reprolib run {section} --profile smoke -p KEY=VALUE`, or with papermill: "
        f"`jupytext --to ipynb --set-kernel python3 notebooks/{section}.md -o in.ipynb && "
        f"papermill in.ipynb out.ipynb -p profile smoke`. Parameters: `profile` "
        f"({', '.join(profiles.available(section))}), `recompute` (True/False), {params}.")


def config_table(section: str, cfg: dict, profile: str) -> HTML:
    """The budget this page's numbers come from, then the run's settings: those that differ from the paper's protocol
    (the section's ``paper`` profile) in view, all of them folded below, every value in full (pandas' HTML would cut
    values at 50 characters)."""
    def frame(names, **columns: list[str]) -> str:
        return pd.DataFrame(columns, index=pd.Index(list(names), name="parameter")).to_html()

    budget = f"<p><b>Budget: <code>{profile}</code></b>, {html.escape(profiles.BUDGETS[profile])}.</p>"
    differ = profiles.deviations(section, cfg)
    head = budget + (
        "<p>This run follows the paper's protocol (the <code>paper</code> profile) in every setting.</p>"
        if not differ else
        f"<p>Where this run differs from the paper's protocol (the section's <code>paper</code> profile), "
        f"{len(differ)} of {len(cfg)} settings:</p>" +
        frame(differ, **{"this run": [str(v[0]) for v in differ.values()],
                         "the paper's": [str(v[1]) for v in differ.values()]}))
    return HTML(head + f"<details><summary>All {len(cfg)} settings of this run</summary>" +
                frame(cfg, value=[str(v) for v in cfg.values()]) + "</details>")
