"""Typed settings: every parameter a section lists reaches its computation by every route, is validated by its
declared type and range, and a training method is one loss class."""
import ast
import dataclasses
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from reprolib import grid, losses, pipeline, profiles, results, sections, settings
from reprolib.errors import ConfigError
from reprolib.paths import REPO_ROOT

NOTEBOOK_SECTIONS = [s for s in pipeline.all_sections() if profiles.parameters(s)]
PARAMETERS_CELL = re.compile(r"```\{code-cell\} ipython3\n:tags: \[parameters\]\n(.*?)\n```", re.S)


def _code_before_config(section: str) -> tuple[str, str]:
    """The notebook's parameters cell, and its code from there up to the line that makes its configuration."""
    text = pipeline.notebook_path(section).read_text()
    cell = PARAMETERS_CELL.search(text)
    assert cell, f"{section}: no parameters cell"
    rest = text[cell.end():]
    call = rest.find("rl.profiles.from_notebook(SECTION, globals())")
    assert call >= 0, f"{section}: its configuration is not made by rl.profiles.from_notebook(SECTION, globals())"
    lines = rest[:call].splitlines()[:-1]  # up to the line that makes the configuration, without it
    code = "\n".join(line for line in lines if not line.startswith(("```", ":tags:", "#")))
    return cell.group(1), code


@pytest.mark.parametrize("section", NOTEBOOK_SECTIONS)
def test_each_notebook_takes_every_parameter_of_its_section(section):
    cell, before = _code_before_config(section)
    assigned = {t.id for node in ast.walk(ast.parse(cell)) if isinstance(node, ast.Assign) for t in node.targets
                if isinstance(t, ast.Name)}
    assert assigned == set(profiles.NOTEBOOK_PARAMETERS) | set(profiles.parameters(section)), (
        f"{section}: regenerate its parameters cell with `python -m reprolib sections {section} --cell`")
    rebound = {alias.asname or alias.name.split(".")[0] for node in ast.walk(ast.parse(before))
               if isinstance(node, (ast.Import, ast.ImportFrom)) for alias in node.names}
    rebound |= {t.id for node in ast.walk(ast.parse(before)) if isinstance(node, ast.Assign) for t in node.targets
                if isinstance(t, ast.Name)}
    assert not rebound & assigned, f"{section}: {rebound & assigned} rebound before the configuration is read"


def _candidates(cls, name: str, value, others: list):
    """Values of setting ``name`` other than ``value``, as a user would pass them: the other profiles' (``"all"``
    for a count's None), then ones made from its declared type and range."""
    f = next(f for f in dataclasses.fields(cls) if f.name == name)
    for v in others:
        if v != value and (v is not None or f.metadata.get("none") == "all"):
            yield "all" if v is None else v
    choices = settings._choices(cls, f.metadata)
    if isinstance(value, bool):
        yield not value
    elif isinstance(value, int):
        yield from (value + 1, value - 1, value + 2)
    elif isinstance(value, float):
        yield from (value / 2, value * 1.5, 0.5)
    elif isinstance(value, str):
        yield from (c for c in choices if c != value)
    elif isinstance(value, list):
        if choices is not None:
            yield [c for c in choices if c not in value][:1]
        yield from (value[:-1], value[::-1], value + value[-1:], [1])
        if value and all(isinstance(v, (int, float)) for v in value):
            yield [v * 2 for v in value]
    elif value is None:
        yield [next(iter(choices))] if choices is not None else {} if f.metadata.get("overrides") else 1
        yield [0]  # an optional list of numbers (keep_seeds)
    elif isinstance(value, dict):
        yield {}


# settings that no other value makes valid with the rest of the smoke profile
RULED_OUT = {("trades/algorithm", "trajectory_steps"), ("spatial/theory", "family_d")}


@pytest.mark.parametrize("section", NOTEBOOK_SECTIONS)
def test_every_listed_parameter_reaches_the_configuration_a_notebook_makes(section):
    """What papermill and ``run`` inject (a name in the notebook's namespace) changes the configuration the notebook
    computes with and stores: checked for every parameter ``sections`` lists."""
    cls = sections.get(section).settings
    made = {p: profiles.settings(section, p) for p in profiles.available(section)}
    for name in profiles.parameters(section):
        value = settings._plain(getattr(made["smoke"], name))
        others = [settings._plain(getattr(s, name)) for p, s in made.items() if p != "smoke"]
        for new in _candidates(cls, name, value, others):
            if new == value:
                continue
            try:
                cfg = profiles.from_notebook(section, {"profile": "smoke", name: new})
            except ConfigError as exc:
                assert "\n" not in str(exc)
                continue
            shown = settings._plain(getattr(profiles.settings(section, "smoke", **{name: new}), name))
            default = next(f.default for f in dataclasses.fields(cls) if f.name == name)
            # (a setting added later is left out of the configuration at its default: settings.param's ``since``)
            assert shown != value and cfg.get(name, default) == shown, (section, name, new)
            break
        else:
            assert (section, name) in RULED_OUT, f"{section}: no other valid value of {name} found"


def test_run_stores_a_parameter_that_papermill_used_to_drop(tmp_path):
    """``run -p lr=0.5`` trains with lr 0.5 and stores it (it was dropped with a papermill warning)."""
    env = {**os.environ, "REPROLIB_RESULTS": str(tmp_path / "results"), "REPROLIB_ARTIFACTS": str(tmp_path / "art")}
    out = tmp_path / "table2.ipynb"
    proc = subprocess.run([sys.executable, "-m", "reprolib", "run", "closer_look/table2", "--profile", "smoke",
                           "-p", "lr=0.5", "-p", "methods=[Natural]", "-p", "archs=[CNN1]", "-p", "n_train=128",
                           "-p", "audit_methods=[]", "-p", "n_eval_train=0", "-p", "lip_steps=0",
                           "--out", str(out)], capture_output=True, text=True, env=env, cwd=REPO_ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "unknown parameter" not in proc.stderr.lower()
    # the run says what it changed and what it wrote, and where the notebook is
    assert "lr=0.5 (profile: 0.01)" in proc.stdout and "closer_look/table2@smoke.json" in proc.stdout
    assert str(out) in proc.stdout
    record = results.read_record(tmp_path / "results" / "closer_look" / "table2@smoke.json")
    assert record["config"]["lr"] == 0.5 and record["config"]["n_train"] == 128
    run, = (tmp_path / "results" / "closer_look" / "table2@smoke").glob("*.json")
    assert results.read_record(run)["config"]["lr"] == 0.5


BAD_YAML = (["-p", "lr=0.5", "-p", "methods=[Natural"], "parameter 'methods': '[Natural' is not a valid value")


@pytest.mark.parametrize("command, args, needle", [
    ("run", *BAD_YAML), ("compute", *BAD_YAML), ("sweep", *BAD_YAML),
    ("run", ["-p", "lrate=0.5"], "unknown parameter 'lrate' for closer_look/table2"),
    ("run", ["-p", "dataset=cifar100"], "dataset: unknown 'cifar100'"),
    ("compute", ["-p", "epochs=0"], "epochs=0 must be ≥ 1"),
])
def test_bad_parameters_give_one_line_and_write_nothing(tmp_path, command, args, needle):
    env = {**os.environ, "REPROLIB_RESULTS": str(tmp_path / "results"), "REPROLIB_ARTIFACTS": str(tmp_path / "art")}
    proc = subprocess.run([sys.executable, "-m", "reprolib", command, "closer_look/table2", "--profile", "smoke",
                           *args], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert proc.stderr.count("\n") == 1 and needle in proc.stderr, proc.stderr
    assert not any(tmp_path.rglob("*.json")) and not any(tmp_path.rglob("*.ipynb"))


def test_sections_prints_each_parameter_with_type_allowed_values_and_profiles():
    proc = subprocess.run([sys.executable, "-m", "reprolib", "sections", "closer_look/table2"], capture_output=True,
                          text=True, cwd=REPO_ROOT)
    assert proc.returncode == 0, proc.stderr
    assert "epochs (int; ≥ 1): epochs" in proc.stdout and "smoke=1  cpu=5  full=8  paper=160" in proc.stdout
    assert "optimizer (str; one of sgd, adam)" in proc.stdout
    assert "n_train (int or None; ≥ 1; None: all)" in proc.stdout
    assert "weight_decay (float; ≥ 0)" in proc.stdout
    cell = subprocess.run([sys.executable, "-m", "reprolib", "sections", "closer_look/table2", "--cell"],
                          capture_output=True, text=True, cwd=REPO_ROOT).stdout
    assert cell.strip() == pipeline.parameters_cell("closer_look/table2")


def test_declared_types_coerce_and_refuse_by_name():
    cfg = profiles.resolve("closer_look/table2", "smoke", lr=1, seeds=(3,), n_eval_test="all")
    assert cfg["lr"] == 1.0 and isinstance(cfg["lr"], float) and cfg["seeds"] == [3] and cfg["n_eval_test"] is None
    assert "weight_decay" not in cfg  # a setting added later, at its default: records keep their hashes
    assert profiles.resolve("closer_look/table2", "smoke", weight_decay=5e-4)["weight_decay"] == 5e-4
    with pytest.raises(ConfigError, match="n_audit=None is not allowed|n_audit"):
        profiles.resolve("trades/table3", "smoke", n_audit=-1)


def test_a_new_loss_class_runs_in_a_grid_with_nothing_else(tmp_path, monkeypatch):
    """Adding a training method is one class: it registers itself and declares what it takes of the section's
    threat model; the grid trains, evaluates and stores it without a branch of its own."""
    monkeypatch.setenv("REPROLIB_RESULTS", str(tmp_path / "results"))
    monkeypatch.setenv("REPROLIB_ARTIFACTS", str(tmp_path / "art"))

    @dataclasses.dataclass
    class HalfEps(losses.AT):
        name = "test_half_eps_at"

        @classmethod
        def for_section(cls, threat, **preset):
            return cls(eps=threat["eps"] / 2, steps=1, step_size=threat["eps"] / 2, **preset)

    try:
        assert losses.METHODS["test_half_eps_at"] is HalfEps
        g = grid.MethodGrid("demo.newmethod", {"Half": {"method": "test_half_eps_at"}})
        cfg = profiles.resolve("closer_look/table2", "smoke", methods=["Natural"], n_train=64, n_eval_train=0,
                               n_eval_test=32, lip_steps=0, audit_methods=[], archs=["CNN1"])
        cfg["methods"] = ["Half"]
        model, _ = g.trained(cfg, "CNN1", "Half", 0)
        out = g.compute(cfg, "smoke", progress=False)
        assert [r["method"] for r in out["rows"]] == ["Half"] and out["rows"][0]["adv_test_acc"] is not None
        with pytest.raises(ConfigError, match="declared twice"):
            type("Again", (losses.Loss,), {"name": "test_half_eps_at"})
    finally:
        losses.METHODS.pop("test_half_eps_at", None)


def test_losses_take_the_section_threat_model_as_they_declare():
    cfg = {"eps": 0.1, "attack_steps": 10, "attack_step_size": 0.02}
    assert losses.for_section("trades", cfg, beta=6.0) == losses.TRADES(eps=0.1, steps=10, step_size=0.02, beta=6.0)
    assert losses.for_section("at", cfg, steps=40) == losses.AT(eps=0.1, steps=40, step_size=0.02)
    assert losses.for_section("llr", cfg, form="c1") == losses.LLR(eps=0.1, steps=2, step_size=0.05, form="c1")
    assert losses.for_section("natural", cfg) == losses.Natural()
    assert losses.for_section("at", cfg, eps=0.3) == losses.AT(eps=0.3, steps=10, step_size=0.02)  # its own ε
    with pytest.raises(ConfigError, match="method 'at' has no parameter"):
        losses.for_section("at", cfg, beta=1.0)


def test_every_train_config_field_can_be_set_from_a_section():
    from reprolib.train import TrainConfig

    declared = {f.name for f in dataclasses.fields(settings.Schedule)}
    assert {f.name for f in dataclasses.fields(TrainConfig)} - {"seed"} <= declared
    cfg = profiles.resolve("closer_look/table2", "smoke", weight_decay=1e-4, channels_last=False)
    tc = grid.train_config(cfg, seed=3)
    assert tc.weight_decay == 1e-4 and not tc.channels_last and tc.seed == 3 and tc.epochs == cfg["epochs"]


def test_the_full_profile_exists_where_a_section_declares_it():
    cfg = profiles.resolve("trades/whitebox", "full")
    assert cfg["eps"] == 0.3 and cfg["n_train"] is None and cfg["n_eval_test"] is None and cfg["curve_n"] > 0
    assert "full" in profiles.available("trades/whitebox") and "full" not in profiles.available("trades/fig1")
    with pytest.raises(ConfigError, match="trades/fig1 has no 'full' profile"):
        profiles.resolve("trades/fig1", "full")
    assert results.artifact_path("trades.table5", "full").name == "table5@full.json"
