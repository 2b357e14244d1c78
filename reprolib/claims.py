"""The papers' qualitative claims as checks computed from our results (shown pass/fail in the book)."""
from __future__ import annotations


def claim(claim_id: str, text: str, passed: bool, evidence: str) -> dict:
    """One checked claim: an id (``<artifact>.<what>``), the claim in words, the outcome, the numbers behind it."""
    return {"id": claim_id, "text": text, "passed": bool(passed), "evidence": evidence}


def mean_distance(claim_id: str, what: str, rows: list[dict], key: str, points: float) -> dict:
    """A target over a table: the mean over ``rows`` of |ours − paper| of ``key`` (a fraction, in points), at most
    ``points``; the rows that carry no paper value of ``key`` are left out."""
    pairs = [(r["method"] if "arch" not in r else f"{r['arch']} {r['method']}", 100 * (r[key] - r["paper"][key]))
             for r in rows if r.get(key) is not None and (r.get("paper") or {}).get(key) is not None]
    text = f"Mean |ours − paper| of the {what} at most {points:g} points"
    if not pairs:
        return claim(claim_id, text, False, "no row carries the paper's value")
    mean = sum(abs(d) for _, d in pairs) / len(pairs)
    name, worst = max(pairs, key=lambda p: abs(p[1]))
    return claim(claim_id, text, mean <= points, f"mean {mean:.2f} points over {len(pairs)} rows; largest "
                 f"{worst:+.2f} ({name})")


def curve_span(row: dict, last: int = 5) -> dict | None:
    """The range of a network's clean and PGD accuracy on the curve's images over its last ``last`` epochs, in
    points (``{"epochs": (first, last), "clean": (lo, hi), "pgd": (lo, hi)}``); None without a curve of two epochs."""
    tail = (row.get("curve") or [])[-last:]
    if len(tail) < 2:
        return None
    return {"epochs": (tail[0]["epoch"], tail[-1]["epoch"]),
            **{k: (100 * min(c[k] for c in tail), 100 * max(c[k] for c in tail)) for k in ("clean", "pgd")}}


def curve_tail(row: dict, last: int = 5) -> str:
    """How a network's training curve ended, for a target it missed: :func:`curve_span` in words (a narrow range:
    more epochs of that schedule would not have moved it); empty without a curve."""
    span = curve_span(row, last)
    if span is None:
        return ""
    return (f"its curve over epochs {span['epochs'][0]}–{span['epochs'][1]}: clean {span['clean'][0]:.1f}–"
            f"{span['clean'][1]:.1f}%, PGD {span['pgd'][0]:.1f}–{span['pgd'][1]:.1f}% on the curve's images")


def plateaued(claim_id: str, rows: list[dict], points: float = 1.5) -> dict:
    """A target: every network's training curve flat at its end (clean and PGD accuracy on the curve's images
    moved by at most ``points`` over its last epoch)."""
    moves = [(f"{r['arch']} {r['method']} s{r['seed']}",
              max(abs(100 * (r["curve"][-1][k] - r["curve"][-2][k])) for k in ("clean", "pgd")))
             for r in rows if len(r.get("curve") or []) >= 2]
    text = f"Every network's curve flat at its end (its last epoch moved clean and PGD accuracy ≤ {points:g} points)"
    if not moves:
        return claim(claim_id, text, False, "no network stored a curve")
    name, worst = max(moves, key=lambda m: m[1])
    return claim(claim_id, text, len(moves) == len(rows) and worst <= points,
                 f"{len(moves)} of {len(rows)} networks with a curve; largest last-epoch move {worst:.1f} points "
                 f"({name})")
