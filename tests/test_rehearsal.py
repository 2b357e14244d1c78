"""The `paper` profile, rehearsed (issue 32): every section's GPU recipe runs end to end on the CPU at a shrunken
size, through its notebook, and writes its records; datasets this machine lacks are stood in for by random images
of their exact shape, and the records say so."""
import pytest
import torch

from reprolib import data, profiles, rehearsal, results, sections
from reprolib.errors import ConfigError


def test_a_rehearsal_shrinks_sizes_only():
    """Counts, step counts and the batch shrink, milestones keep their place in the schedule; the architecture,
    dataset, optimiser, learning rate, threat model and audit version are the paper's."""
    paper = profiles.resolve("closer_look/table3", "paper")
    shrunk = profiles.resolve("closer_look/table3", "paper", **rehearsal.overrides("closer_look/table3"))
    for key in ("dataset", "archs", "optimizer", "lr", "momentum", "eps", "attack_step_size",
                "eval_step_size", "audit_version", "reduction"):
        assert shrunk[key] == paper[key], key
    assert shrunk["methods"] == paper["methods"][:rehearsal.ROWS]
    assert shrunk["audit_methods"] == []  # CIFAR-10 stands in here: a near-constant network is not audited
    on_disk = rehearsal.overrides("closer_look/table2")  # MNIST is on the machine: one network is audited
    assert len(on_disk["audit_methods"]) == 1 and on_disk["audit_methods"][0] in on_disk["methods"]
    assert (shrunk["epochs"], shrunk["n_train"], shrunk["n_audit"], shrunk["batch_size"]) == (2, 2, 1, 8)
    assert shrunk["seeds"] == paper["seeds"][:1] and shrunk["spread_seeds"] == []
    assert paper["milestones"] == [40, 80, 100] and shrunk["milestones"] == [1, 2]
    assert rehearsal._scaled([55, 75, 90], 100, 2) == [2] and rehearsal._scaled([30, 50], 60, 2) == [1, 2]


def test_a_second_grid_is_shrunk_with_its_own_values():
    """TRADES Table 4's CIFAR-10 column keeps its dataset, network, ε and optimiser, with its own epochs shrunk."""
    companion = rehearsal.overrides("trades/table4")["companion"]
    paper = profiles.resolve("trades/table4", "paper")["companion"]
    assert {k: companion[k] for k in ("dataset", "archs", "eps", "lr")} == {k: paper[k] for k in ("dataset", "archs",
                                                                                                    "eps", "lr")}
    assert companion["epochs"] == 2 and companion["attack_steps"] == 2


def test_a_stand_in_has_the_datasets_shape_and_classes(monkeypatch):
    monkeypatch.setenv("REPROLIB_STAND_IN", "cifar10")
    split = data.load("cifar10", "train")
    assert split.x.shape == (data.STAND_IN_SIZE["train"], 3, 32, 32) and split.x.dtype == torch.uint8
    assert sorted(split.y.unique().tolist()) == list(range(10))
    assert torch.equal(split.x, data.load("cifar10", "train").x)  # the same every time
    assert "stand_in" in results.provenance(1.0) and results.provenance(1.0)["stand_in"] == ["cifar10"]
    monkeypatch.delenv("REPROLIB_STAND_IN")
    assert "stand_in" not in results.provenance(1.0)


@pytest.mark.parametrize("section", rehearsal.rehearsed())
def test_the_paper_profile_runs_end_to_end_at_a_shrunken_size(section, tmp_path, monkeypatch):
    """The section's computation at its `paper` profile, shrunk, runs (in this process, as `compute` runs it: a
    notebook kernel per section cost more than most of these computations) and writes every record its section
    writes, each naming the stand-in datasets it used. Its page's code is the one the smoke book executes."""
    stand_ins = rehearsal.stand_ins(section)
    monkeypatch.setenv("REPROLIB_STAND_IN", ",".join(stand_ins))
    monkeypatch.setenv("REPROLIB_RESULTS", str(tmp_path / "results"))
    monkeypatch.setenv("REPROLIB_ARTIFACTS", str(tmp_path / "artifacts"))
    cfg = profiles.resolve(section, "paper", **rehearsal.overrides(section))
    sections.get(section).run(cfg, "paper", progress=False)
    written = sorted((tmp_path / "results").rglob("*@paper.json"))
    assert written, f"{section}: no record written"
    for path in written:
        record = results.read_record(path)
        assert record["profile"] == "paper"
        assert record["provenance"].get("stand_in", []) == stand_ins


def test_only_the_sections_that_compute_are_rehearsed():
    assert set(rehearsal.rehearsed()) == {s for s in sections.names() if sections.get(s).run
                                          and "paper" in profiles.available(s)}
    assert "scorecard" not in rehearsal.rehearsed()
    with pytest.raises(ConfigError):
        rehearsal.overrides("no/such")
