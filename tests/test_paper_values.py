"""The papers' numbers in reprolib.papers.closer_look.values must be those of shared/REPRO_SPEC.md."""
import re
from pathlib import Path

import pytest

from reprolib.papers.closer_look import table2, values as paper_values





def test_table2_rows_match_the_spec(spec_text):
    section = spec_text[spec_text.index("### closer_look.table2"):spec_text.index("### closer_look.table3")]
    cnn1, cnn2 = section.split("CNN2:")[0], section.split("CNN2:")[1]
    for arch, text in (("CNN1", cnn1), ("CNN2", cnn2)):
        for method, values in paper_values.TABLE2_PERCENT[arch].items():
            line = next(l for l in text.splitlines() if l.startswith(f"| {method} |"))
            numbers = tuple(float(v) for v in re.findall(r"-?\d+\.\d+", line))
            assert numbers == values, (arch, method)


@pytest.mark.parametrize("name, label", [("mnist", "MNIST"), ("cifar10", "CIFAR-10"), ("svhn", "SVHN"),
                                         ("fashion_mnist", "Fashion-MNIST")])
def test_separation_rows_match_the_spec(spec_text, name, label):
    p = paper_values.SEPARATION[name]
    assert f"| {label} | {p['eps']:g} | {p['train_train']:.3f} | {p['test_train']:.3f} |" in spec_text


def test_table4_rows_match_the_spec(spec_text):
    section = spec_text[spec_text.index("### closer_look.table4"):spec_text.index("### closer_look.appC")]
    for (method, dropout), rows in paper_values.TABLE4_PERCENT.items():
        line = next(l for l in section.splitlines() if l.startswith(f"| {method} | {dropout} |"))
        numbers = [float(v) for v in re.findall(r"-?\d+\.\d+", line.split("|", 3)[3])]
        ours = [v for ds in ("svhn", "cifar10") for v in rows[ds] if v is not None]
        assert ours == [n for n in numbers if n in ours] and all(v in numbers for v in ours), (method, dropout)


def test_table3_rows_match_the_spec(spec_text):
    section = spec_text[spec_text.index("### closer_look.table3"):spec_text.index("### closer_look.table4")]
    for method, rows in paper_values.TABLE3_PERCENT.items():
        line = next(l for l in section.splitlines() if l.startswith(f"| {method} |"))
        numbers = tuple(float(v) for v in re.findall(r"-?\d+\.\d+", line))
        assert numbers == rows["cifar10"] + rows["restricted_imagenet"], method


def test_table2_claim_checks_pass_on_the_papers_own_numbers():
    """A check of one of the paper's claims that the paper's own table fails would be mis-encoded."""

    rows = [{"arch": arch, "method": method, "seed": 0, **values}
            for arch, methods in paper_values.TABLE2.items() for method, values in methods.items()]
    checks = table2.table2_claims(rows)
    assert {c["id"].split(".")[2] for c in checks} == {"CNN1", "CNN2"}
    failing = [(c["id"], c["evidence"]) for c in checks if not c["passed"]]
    assert not failing, failing


def test_cake_table3_rows_match_the_spec(spec_text):
    from reprolib.papers.cake import table3 as cake_table3

    section = spec_text[spec_text.index("### cake.table3"):spec_text.index("Run-to-run reference")]
    for method, archs in cake_table3.PERCENT.items():
        label = "Natural" if method == "Natural" else f"TRADES (1/λ = {cake_table3.METHODS[method]['beta']:g})"
        for arch, values in archs.items():
            line = next(l for l in section.splitlines() if l.startswith(f"| {label} | {arch} |"))
            numbers = tuple(float(v.replace("−", "-")) for v in re.findall(r"[−-]?\d+(?:\.\d+)?", line.split("|", 3)[3]))
            assert numbers == values, (method, arch)


def test_cake_table3_claim_checks_pass_on_the_papers_own_numbers():
    from reprolib.papers.cake import table3 as cake_table3

    rows = [{"arch": arch, "method": method, "seed": 0, **values}
            for arch, methods in cake_table3.PAPER.items() for method, values in methods.items()]
    checks = cake_table3.table3_claims(rows)
    assert len(checks) == 3 * 3 + 2 + 1  # per architecture, the two BN orderings, every network fitted
    failing = [(c["id"], c["evidence"]) for c in checks if not c["passed"]]
    assert not failing, failing
