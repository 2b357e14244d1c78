"""Which networks need AutoAttack's full standard version? Evidence from the committed audits.

AutoAttack's standard version runs APGD-CE, APGD-T, FAB-T and Square one after another, each on the images the
previous ones left robust; every audit record keeps the robust accuracy after each attack (``autoattack_after``).
`python benchmarks/audit_policy.py` reads every committed record (no computation) and prints, per audited network,
how many images FAB-T and Square found beyond APGD-CE + APGD-T, then a summary per section: where that is zero,
the cheaper version of the same code (APGD-CE + APGD-T) finds the same images.
"""
from collections import defaultdict
from pathlib import Path

from reprolib import results
from reprolib.paths import REPO_ROOT

STANDARD = ("apgd-ce", "apgd-t", "fab-t", "square")


def audited(root: Path = REPO_ROOT / "results"):
    """(artifact, arch, method, seed, n, after, seconds) of every audited network of the committed records."""
    seen = set()
    for path in sorted(root.glob("*/*.json")):
        rec = results.read_record(path)
        for r in (rec.get("audit") or {}).get("rows", []):
            key = (rec["artifact"], rec["profile"], r.get("arch"), r.get("method"), r.get("seed"))
            if key in seen or tuple(r.get("autoattack_after", {})) != STANDARD:
                continue
            seen.add(key)
            yield key, r["n"], r["autoattack_after"], r.get("autoattack_seconds")


def seconds_per_attack(root: Path = REPO_ROOT / "results"):
    """Each committed audit's seconds per attack (kept in the run records' audit attachments)."""
    for path in sorted(root.glob("*/*/*.json")):
        spa = ((results.read_record(path).get("audit") or {}).get("autoattack") or {}).get("seconds_per_attack")
        if spa:
            yield spa


def main():
    by_artifact = defaultdict(list)
    for (artifact, profile, arch, method, seed), n, after, seconds in audited():
        beyond = round(n * (after["apgd-t"] - after["square"]))  # images FAB-T and Square found
        by_artifact[f"{artifact}@{profile}"].append(beyond)
        print(f"{artifact:22s} {arch:15s} {method:16s} s{seed}: {n} images, robust after APGD-CE+APGD-T "
              f"{after['apgd-t']:.1%}, after all four {after['square']:.1%}: FAB-T and Square found {beyond} more "
              f"({(seconds or 0) / 60:.0f} min in all)")
    print()
    total = sum(len(v) for v in by_artifact.values())
    same = sum(b == 0 for v in by_artifact.values() for b in v)
    for artifact, beyond in by_artifact.items():
        print(f"{artifact:26s} {len(beyond):3d} networks: FAB-T and Square found nothing more in {sum(b == 0 for b in beyond)}, "
              f"at most {max(beyond)} images in the others")
    print(f"all: {same} of {total} standard audits found no image after APGD-CE + APGD-T")
    spent = [r for r in seconds_per_attack() if list(r) == list(STANDARD)]
    whole, apgd = sum(sum(r.values()) for r in spent), sum(r["apgd-ce"] + r["apgd-t"] for r in spent)
    if spent:
        print(f"time, over the {len(spent)} audits that logged it per attack: {whole / 3600:.1f} core-hours, of which "
              f"APGD-CE + APGD-T {apgd / 3600:.1f}: the 'apgd' version takes {apgd / whole:.0%} of the standard "
              f"version's time ({whole / apgd:.1f}x faster) on the same networks and images")


if __name__ == "__main__":
    main()
