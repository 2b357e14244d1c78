"""The closing page, section ``cake/closing``: "is the trade-off inherent?" Each paper's position, followed by
the book's own numbers that support or qualify it, read from the stored records of one profile."""
from __future__ import annotations

from ... import results
from ..spatial.augmentation import family_summary
from ..trades.sensitivity import per_weight


def _pct(v) -> str:
    return "—" if v is None else f"{100 * v:.1f}%"


def _row(record: dict | None, **match) -> dict | None:
    """The first row of ``record`` whose fields equal ``match`` (None without a record or a match)."""
    return next((r for r in (record or {}).get("rows", []) if all(r.get(k) == v for k, v in match.items())), None)


def closing_numbers(profile: str = "cpu") -> dict[str, str]:
    """The numbers of the closing page ("is the trade-off inherent?"), each read from the record the book shows at
    this profile (at ``cpu``: an artifact's ``full`` record where one is stored, :func:`reprolib.results.shown`)
    and formatted for ``glue``; "—" where the record (or the row) does not exist. ``budgets`` says which records
    are at ``full``."""
    read: dict[str, dict | None] = {}

    def load(art: str) -> dict | None:
        read[art] = results.shown(art, profile)
        return read[art]

    tsipras, sep, thm42, t2, thm2 = (load(a) for a in ("cake.thm3_1", "closer_look.table1", "closer_look.thm4_2",
                                                        "closer_look.table2", "spatial.thm2"))
    bound = _row(tsipras, kind="bound", clean=0.99)
    mnist, cons = _row(sep, dataset="mnist"), _row(thm42, dataset="mnist")
    arch = "CNN2" if _row(t2, arch="CNN2") else "CNN1"
    t1, t6, nat = (_row(t2, arch=arch, method=m, seed=0) for m in ("TRADES(β=1)", "TRADES(β=6)", "Natural"))
    aa = next((r for r in ((t2 or {}).get("audit") or {}).get("rows", [])
               if r["arch"] == arch and r["method"] == "TRADES(β=6)"), None)
    half = _row(thm2, kind="bound", m_over_d=0.5, p=0.5, eta=0.0)
    numbers = {
        "tsipras-p": "—" if tsipras is None else f"{tsipras['config']['p']:g}",
        "tsipras-bound-99": _pct(bound and bound["bound"]),
        "sep-mnist-2r": "—" if mnist is None else f"{mnist['train_train']:.3f}",
        "sep-mnist-2eps": "—" if mnist is None else f"{2 * mnist['eps']:g}",
        "cons-train-adv": _pct(cons and cons["train_adv_acc_below_r"]),
        "cons-test-adv": _pct(cons and cons["test_adv_acc"]), "cons-test": _pct(cons and cons["test_acc"]),
        "t2-arch": arch,
        "t2-nat-clean": _pct(nat and nat["test_acc"]), "t2-nat-adv": _pct(nat and nat["adv_test_acc"]),
        "t2-b1-clean": _pct(t1 and t1["test_acc"]), "t2-b1-adv": _pct(t1 and t1["adv_test_acc"]),
        "t2-b6-clean": _pct(t6 and t6["test_acc"]), "t2-b6-adv": _pct(t6 and t6["adv_test_acc"]),
        "t2-b6-aa": "not audited at this profile" if aa is None else
                    f"{_pct(aa['autoattack_acc'])} under AutoAttack on {aa['n']} images (PGD {_pct(aa['pgd_acc'])})",
        "thm2-half": _pct(half and half["upper"]),
        "t2-beta-verdict": _beta_verdict(t1, t6),
        "sep-ratio": "—" if mnist is None else f"{mnist['train_train'] / (2 * mnist['eps']):.1f}",
        **_table4_numbers(load("trades.table4"), load("trades.table4_companion")),
        **_bn_numbers(load("cake.table3")),
        **_spatial_numbers(load("spatial.fig6"), load("spatial.fig7")),
    }
    full = [art for art, rec in read.items() if rec and rec["profile"] == "full"]
    numbers["budgets"] = (f"the `full` budget for {', '.join(full)}, the `{profile}` budget for the others" if full
                          else f"the `{profile}` budget for all of them")
    return numbers


def _table4_numbers(t4: dict | None, companion: dict | None) -> dict[str, str]:
    """TRADES Table 4: robust and clean accuracy at the ends of the 1/λ grid, MNIST and its companion."""
    out = {}
    for tag, rec in (("t4", t4), ("t4c", companion)):
        rows = (rec or {}).get("rows", [])
        rob, nat = per_weight(rows, "adv_test_acc"), per_weight(rows, "test_acc")
        lo, hi = (min(rob), max(rob)) if rob else (None, None)
        out[f"{tag}-lo"] = "—" if lo is None else f"{lo:g}"
        out[f"{tag}-hi"] = "—" if hi is None else f"{hi:g}"
        out[f"{tag}-rob-lo"], out[f"{tag}-rob-hi"] = _pct(rob.get(lo)), _pct(rob.get(hi))
        out[f"{tag}-nat-lo"], out[f"{tag}-nat-hi"] = _pct(nat.get(lo)), _pct(nat.get(hi))
    out["t4c-dataset"] = "—" if companion is None else companion["config"]["dataset"]
    return out


def _bn_numbers(t3: dict | None) -> dict[str, str]:
    """cake Table 3: how many of its claims hold, the large effects and the small (BN) ones apart."""
    claims = (t3 or {}).get("claims", [])
    large = [c for c in claims if not c.get("small_effect")]
    small = [c for c in claims if c.get("small_effect")]
    return {"bn-large": "—" if not large else f"{sum(c['passed'] for c in large)} of {len(large)}",
            "bn-small": "—" if not small else f"{sum(c['passed'] for c in small)} of {len(small)}"}


def _held(record: dict | None) -> str:
    claims = (record or {}).get("claims", [])
    return "—" if not claims else f"{sum(c['passed'] for c in claims)} of {len(claims)}"


def _spatial_numbers(fig6: dict | None, fig7: dict | None) -> dict[str, str]:
    """spatial Figs. 6 and 7 on MNIST: StdCNN without and with Aug-R over the largest range (invariance under the
    largest test rotations, robustness at ε = 0.1), and how many of each figure's checks hold."""
    s = family_summary((fig6 or {}).get("rows", []), "StdCNN", "R")
    lo, hi = (s.get(0.0), s[max(s)]) if s else (None, None)
    return {"sp-theta": "—" if not s else f"{max(s):g}",
            "sp-inv-lo": _pct(lo and lo["invariance_max"]), "sp-inv-hi": _pct(hi and hi["invariance_max"]),
            "sp-rob-lo": _pct(lo and lo["robust_0.1"]), "sp-rob-hi": _pct(hi and hi["robust_0.1"]),
            "sp-fig6-held": _held(fig6), "sp-fig7-held": _held(fig7)}


def _beta_verdict(t1: dict | None, t6: dict | None) -> str:
    """What going from β = 1 to β = 6 did to clean and PGD accuracy, in words (from the two rows)."""
    if t1 is None or t6 is None:
        return "This profile has no TRADES(β = 1) and (β = 6) pair to compare."
    clean, adv = 100 * (t6["test_acc"] - t1["test_acc"]), 100 * (t6["adv_test_acc"] - t1["adv_test_acc"])
    if adv > 0 and clean <= 0:
        return (f"Going from β = 1 to β = 6 bought {adv:+.1f} points of PGD accuracy for {clean:+.1f} points of "
                "clean accuracy: the controlled trade-off TRADES describes.")
    return (f"Going from β = 1 to β = 6 changed clean accuracy by {clean:+.1f} points and PGD accuracy by "
            f"{adv:+.1f} points: at this budget the control TRADES describes does not show as a trade, a "
            "qualification of our scaled-down numbers rather than of the theory.")
