"""What the `full` budget set out to reach on TRADES Tables 3–6, judged on a record's stored numbers.

The paper's claims (each page's claims box) are the paper's; these targets are ours: how close to the paper's own
numbers a budget on two CPU cores was to come, fixed before its networks trained (the issue that introduced the
budget). A page shows them beside the claims when it shows a `full` record; a target that is not met is explained on
the page (the curve and the audit say why), not dropped. Nothing here measures: every number is the record's.
"""
from __future__ import annotations

from ...claims import claim, curve_span, curve_tail
from ...grid import audit_target, count
from .whitebox import DEFENCES, PGD, TABLE5

FGSM40, CLEAN, NATURAL_CLEAN, AUTOATTACK = 0.94, 0.99, 0.993, 0.90  # Table 5 (MNIST rows at ε = 0.3)
N_AUDIT = 1000  # AutoAttack on at least this many test images of every audited network
TRANSFER_POINTS = 0.015  # Table 6 cells within this of the paper's accuracy
ROBUST_POINTS, CLEAN_POINTS = 0.015, 0.005  # Table 4: each row's robust and clean accuracy against the paper's
DELTA = 0.01  # Table 3: Δ = R_rob − R*_nat − (ψ⁻¹(R_φ − R*_φ)) at most this for every λ


def _pct(v: float) -> str:
    return f"{100 * v:.2f}%"


def _why(row: dict, missed: bool) -> str:
    """Where ``row`` missed a target: how its training curve ended (the page's curves show it whole)."""
    tail = curve_tail(row) if missed else ""
    return f" ({tail})" if tail else ""


def _suite_subset(record: dict, rows: dict) -> str:
    """Where the attack suite (and so Table 6's cells) ran on fewer test images than the table's rows: how far the
    defences' white-box FGSM^40 accuracy on the suite's images is from their rows' (how much harder or easier that
    subset is for them)."""
    suite, n_rows = record["suite"], record["config"].get("n_eval_test")
    white = {w["method"]: w for w in suite.get("white_box", []) if w["method"] in DEFENCES and w["method"] in rows}
    if not white or record["config"].get("transfer_all") or (n_rows is not None and n_rows <= suite["n"]):
        return ""
    shifts = ", ".join(f"{d} {100 * (w[PGD] - rows[d]['adv_test_acc']):+.2f}" for d, w in white.items())
    return (f". The cells are measured on the suite's first {suite['n']:,} test images, where the defences' "
            f"white-box FGSM^40 accuracy differs from their rows' (on {'all' if n_rows is None else f'{n_rows:,}'}"
            f" test images) by {shifts} points")


def _audited(record: dict, methods, n: int) -> dict:
    """The audit rows of ``methods`` (seed 0) whose AutoAttack ran on at least ``n`` images, by method."""
    rows = (record.get("audit") or {}).get("rows", [])
    return {r["method"]: r for r in rows if r["method"] in methods and r.get("seed", 0) == 0 and r["n"] >= n}


def table5(record: dict) -> list[dict]:
    """Both defences ≥ 94% under FGSM^40 and ≥ 99% clean, natural ≥ 99.3% clean, AutoAttack ≥ 90% on ≥ 1,000
    images, every Table 6 cell within 1.5 points of the paper's, the "far above natural" checks at ε = 0.3."""
    rows = {r["method"]: r for r in record["rows"] if r["seed"] == 0}
    defences = [d for d in DEFENCES if d in rows]
    if not defences or "Natural" not in rows:
        return []
    out = [claim("trades.table5.target.fgsm40", f"Both defences keep ≥ {FGSM40:.0%} under FGSM^40 at ε = 0.3",
                 record["config"]["eps"] == 0.3 and all(rows[d]["adv_test_acc"] >= FGSM40 for d in defences),
                 "; ".join(f"{d} {_pct(rows[d]['adv_test_acc'])}" + _why(rows[d], rows[d]["adv_test_acc"] < FGSM40)
                           for d in defences)
                 + f" (ε = {record['config']['eps']:g})"),
           claim("trades.table5.target.clean", f"Both defences ≥ {CLEAN:.0%} clean, the natural network "
                 f"≥ {NATURAL_CLEAN:.1%}", all(rows[d]["test_acc"] >= CLEAN for d in defences)
                 and rows["Natural"]["test_acc"] >= NATURAL_CLEAN,
                 "; ".join(f"{m} {_pct(rows[m]['test_acc'])}" + _why(rows[m], rows[m]["test_acc"] < floor)
                           for m, floor in [("Natural", NATURAL_CLEAN), *((d, CLEAN) for d in defences)]))]
    audited = _audited(record, defences, N_AUDIT)
    out.append(claim("trades.table5.target.autoattack", f"AutoAttack leaves both defences ≥ {AUTOATTACK:.0%} on "
                     f"≥ {N_AUDIT:,} test images", len(audited) == len(defences)
                     and all(a["autoattack_acc"] >= AUTOATTACK for a in audited.values()),
                     "; ".join(f"{d} {_pct(audited[d]['autoattack_acc'])} on {audited[d]['n']:,}" if d in audited
                               else f"{d} not audited on ≥ {N_AUDIT:,} yet" for d in defences)))
    cells = [t for t in (record.get("suite") or {}).get("transfer", []) if t["paper"]]
    if cells:
        worst = max(cells, key=lambda t: abs(t["acc"] - t["paper"]["acc"]))
        out.append(claim("trades.table6.target.cells", f"Every Table 6 cell within {100 * TRANSFER_POINTS:g} points "
                         "of the paper's", all(abs(t["acc"] - t["paper"]["acc"]) <= TRANSFER_POINTS for t in cells),
                         f"largest difference {100 * (worst['acc'] - worst['paper']['acc']):+.2f} points "
                         f"({worst['source']} → {worst['target']}), {len(cells)} cells" + _suite_subset(record, rows)))
    far = [c for c in record["claims"] if c["id"].endswith(".far_above_natural")]
    if far:
        out.append(claim("trades.table5.target.far_above_natural", "The defences are far above the natural network "
                         "under every white-box attack at the paper's ε = 0.3 (the claims box's check)",
                         record["config"]["eps"] == 0.3 and all(c["passed"] for c in far),
                         f"{sum(c['passed'] for c in far)} of {len(far)} hold at ε = {record['config']['eps']:g}"))
    return out


def clean_note(record: dict) -> str:
    """Why a defence misses Table 5's clean target, from the record: how far it is from the target, the paper and the
    other defence of the same budget; how far its clean accuracy on the curve's images moved over the epochs at the
    schedule's final rate (a flat end: more epochs of this schedule would not close it); and the departures from the
    paper's recipe that remain as causes. Empty where every defence meets the target."""
    rows = {r["method"]: r for r in record["rows"] if r["seed"] == 0}
    missed = [d for d in DEFENCES if d in rows and rows[d]["test_acc"] < CLEAN]
    if not missed:
        return ""
    cfg = record["config"]
    final = max(cfg.get("milestones") or [0])  # the epochs after the last decay ran at the final rate
    notes = []
    for d in missed:
        r = rows[d]
        text = (f"**Why {d} misses {CLEAN:.0%} clean.** It reaches {_pct(r['test_acc'])} on the "
                f"{count(cfg, 'n_eval_test', 'test'):,} test images, "
                f"{100 * (CLEAN - r['test_acc']):.2f} points short of the target and "
                f"{TABLE5[d]['A_nat'] - 100 * r['test_acc']:.2f} below the paper's {TABLE5[d]['A_nat']:.2f}%")
        others = [o for o in DEFENCES if o in rows and o != d]
        text += "".join(f", where {o} from the same budget reaches {_pct(rows[o]['test_acc'])} (the paper: "
                        f"{TABLE5[o]['A_nat']:.2f}%)" for o in others) + ". "
        span = curve_span(r, sum(c["epoch"] > final for c in r.get("curve") or []))
        if span:
            (first_epoch, last_epoch), (lo, hi) = span["epochs"], span["clean"]
            text += (f"Over its epochs at the final rate ({first_epoch}–{last_epoch}) its clean accuracy on the "
                     f"curve's images stayed within {lo:.1f}–{hi:.1f}%: more epochs of this schedule would not have "
                     f"closed the gap. ")
        first = min(cfg.get("milestones") or [cfg["epochs"]])
        text += (f"The recipe departs from the paper's in its {cfg['epochs']} epochs, {first} of them at the initial "
                 f"rate (the paper: 100 and 55), and its training attack of K = {cfg['attack_steps']} steps of "
                 f"{cfg['attack_step_size']:g} (the paper: 40 of 0.01); "
                 "which of these costs this clean accuracy the book has not tested (the `paper` profile runs the "
                 "paper's recipe, for a GPU).")
        notes.append(text)
    return "\n\n".join(notes)


def table4(record: dict) -> list[dict]:
    """Every row with the paper's values within 1.5 points (robust) and 0.5 points (clean), every robust row audited
    on ≥ 1,000 test images."""
    rows = [r for r in record["rows"] if r["seed"] == 0 and r.get("paper")]
    if not rows:
        return []
    out = []
    for key, points, what in (("adv_test_acc", ROBUST_POINTS, "robust (FGSM^40)"), ("test_acc", CLEAN_POINTS,
                                                                                      "clean")):
        out.append(claim(f"trades.table4.target.{key}", f"Every row's {what} accuracy within {100 * points:g} "
                         "points of the paper's", all(abs(r[key] - r["paper"][key]) <= points for r in rows),
                         "; ".join(f"{r['method']} {100 * (r[key] - r['paper'][key]):+.2f}"
                                   + _why(r, abs(r[key] - r["paper"][key]) > points) for r in rows)))
    out.append(audit_target("trades.table4.target.audited", record, N_AUDIT))
    return out


def table3(record: dict) -> list[dict]:
    """Δ ≤ 0.01 for every λ, with R*_nat and R*_φ from the natural network of the same budget; AutoAttack on every
    test image of the two digits."""
    rows = [r for r in record["rows"] if r.get("delta") is not None]
    if not rows:
        return []
    out = [claim("trades.table3.target.delta", f"Δ ≤ {DELTA:g} for every λ", all(r["delta"] <= DELTA for r in rows),
                 "; ".join(f"λ = {r['lam']:g}: {r['delta']:.4f}" + _why(r, r["delta"] > DELTA) for r in rows))]
    audited = {a["method"]: a for a in (record.get("audit") or {}).get("rows", [])}
    sizes = sorted({a["n"] for a in audited.values()})
    out.append(claim("trades.table3.target.audited", "Every trained network audited on every test image of the two "
                     "digits", record["config"].get("n_audit") is None and record["config"].get("n_test") is None
                     and all(r["method"] in audited for r in rows) and len(sizes) == 1,
                     f"{sum(r['method'] in audited for r in rows)} of {len(rows)} networks audited"
                     + (f", on {sizes[0]:,} images" if len(sizes) == 1 else "")))
    return out
