"""The library's layout (README, Layout): shared machinery at the top level never imports a paper module,
there is no import cycle, the registry is assembled from the paper modules, and today's code finds every
committed ``cpu`` record (the reshaping kept every configuration hash)."""
import ast
import json
from pathlib import Path

import pytest

from reprolib import profiles, results, sections
from reprolib.paths import REPO_ROOT

PKG = REPO_ROOT / "reprolib"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO_ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every reprolib module that ``path`` imports (absolute or relative, at any depth of the file)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("reprolib")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if not mod.startswith("reprolib"):
                continue
            out.add(mod)
            out |= {f"{mod}.{a.name}" for a in node.names}  # "from . import x" imports module x
    modules = {_module_name(p) for p in PKG.rglob("*.py")}
    return {m for m in out if m in modules and m != name}


GRAPH = {_module_name(p): _imports(p) for p in PKG.rglob("*.py")}
SHARED = sorted(m for m in GRAPH if not m.startswith("reprolib.papers"))


@pytest.mark.parametrize("module", SHARED)
def test_shared_modules_import_no_paper_module(module):
    assert not {m for m in GRAPH[module] if m.startswith("reprolib.papers.")}, GRAPH[module]


def test_no_import_cycle():
    state: dict[str, int] = {}

    def visit(m, stack):
        state[m] = 1
        for n in GRAPH[m]:
            if n.startswith(m + "."):  # a package importing its own submodules is not a cycle
                continue
            if state.get(n) == 1 and not m.startswith(n + "."):
                raise AssertionError(" -> ".join(stack + [n]))
            if n not in state:
                visit(n, stack + [n])
        state[m] = 2

    for m in GRAPH:
        if m not in state:
            visit(m, [m])


def test_the_registry_comes_from_the_paper_modules():
    from reprolib import papers
    modules = sections.paper_modules()
    assert [m.__name__.rpartition(".")[2] for m in modules] == list(papers.PAPERS)
    declared = [s.name for m in modules for s in m.SECTIONS]
    assert sections.names() == declared + [s.name for s in sections.BOOK_WIDE]
    notebooks = {str(p.relative_to(REPO_ROOT / "notebooks").with_suffix("")) for p in
                 (REPO_ROOT / "notebooks").rglob("*.md")}
    assert set(sections.names()) == notebooks  # one notebook per section, one section per notebook
    ids = [a.id for a in sections.catalogue()]
    assert len(ids) == len(set(ids))
    for a in sections.catalogue():  # each paper declares its own artifacts
        assert a.holder is None or a.holder in ids, a


class _Refused(Exception):
    pass


def test_every_committed_record_is_found_by_todays_code(monkeypatch):
    """Run every section at ``cpu``, and at each other profile of a committed merged record (``<slug>@<profile>``),
    with computing forbidden: each cpu record and each such record must be found, i.e. the configuration hashes did
    not change, and be the committed file, number for number. (A section whose record at another profile is not
    complete yet stops at its first missing run: nothing to find there.)"""
    def refuse(path, *args, **kwargs):
        raise _Refused(f"{path} would be recomputed: its configuration hash changed")

    monkeypatch.setattr(results, "_compute_and_store", refuse)
    monkeypatch.setenv("REPROLIB_RESULTS", str(REPO_ROOT / "results"))  # read only: computing is refused
    committed = {p.relative_to(REPO_ROOT / "results") for p in (REPO_ROOT / "results").glob("*/*.json")}
    others = sorted({p.stem.partition("@")[2] for p in committed} - {""})
    found = set()
    for profile in ["cpu", *others]:
        for name in sections.names():
            run = sections.get(name).run
            if run is None or profile not in profiles.available(name):
                continue
            try:
                records = run(profiles.resolve(name, profile), profile, progress=False)
            except _Refused:
                if profile == "cpu":
                    raise
                continue
            for artifact, record in records.items():
                path = results.artifact_path(artifact, profile)
                assert record["reused"] and {k: v for k, v in record.items() if k != "reused"} == json.loads(
                    path.read_text())
                found.add(path.relative_to(REPO_ROOT / "results"))
    assert committed <= found, committed - found


@pytest.mark.parametrize("section, artifact", [("closer_look/table2", "closer_look.table2"),
                                               ("closer_look/dropout", "closer_look.table4"),
                                               ("cake/table3", "cake.table3"), ("trades/table4", "trades.table4"),
                                               ("spatial/fig6", "spatial.fig6"), ("spatial/fig7", "spatial.fig7"),
                                               ("spatial/fig14", "spatial.fig14")])
def test_grid_records_hold_exactly_their_stored_runs(monkeypatch, section, artifact):
    """A grid record's rows and audits are rebuilt from the stored runs (no training, no attack allowed) and
    equal the committed ones: re-merging a grid under new settings leaves its numbers untouched."""
    from reprolib.papers.cake import table3 as cake_table3
    from reprolib.papers.closer_look import table2
    from reprolib.papers.spatial import adversarial, augmentation
    from reprolib.papers.trades import sensitivity

    def two_networks(grid):  # a grid with a second network's overrides (spatial's GCNN)
        return type("Merged", (), {"compute": staticmethod(
            lambda cfg, profile, progress: augmentation.merged(grid, cfg, profile, False, progress))})

    grids = {"closer_look.table2": table2.TABLE2_GRID, "closer_look.table4": table2.TABLE4_GRID,
             "cake.table3": cake_table3.GRID, "trades.table4": sensitivity.GRID,
             "spatial.fig6": two_networks(augmentation.FIG6), "spatial.fig14": two_networks(augmentation.FIG14),
             "spatial.fig7": adversarial.FIG7}

    def refuse(*args, **kwargs):
        raise AssertionError(f"{artifact}: a run or an audit would be recomputed")

    real_attach = results.attach
    monkeypatch.setattr(results, "_compute_and_store", refuse)
    monkeypatch.setattr(results, "attach", lambda *a, compute, **k: real_attach(*a, compute=refuse, **k))
    monkeypatch.setenv("REPROLIB_RESULTS", str(REPO_ROOT / "results"))
    stored = results.load(artifact, "cpu")
    out = grids[artifact].compute(profiles.resolve(section, "cpu"), "cpu", progress=False)
    assert out["rows"] == stored["rows"] and out["claims"] == stored["claims"]
    assert {k: v for k, v in out["audit"].items()} == stored["audit"]


def test_the_readme_gets_a_newcomer_going_in_under_a_thousand_words():
    """The README is short (issue 31); the long material lives in the book's "Using this book" pages."""
    words = len((REPO_ROOT / "README.md").read_text().split())
    assert words <= 1000, f"README.md has {words} words; move the detail into book/rerun.md"
