"""Executing many notebooks at once: a section starts only after the sections whose records it reads, a failure
stops the rest, and the registry rejects a dependency on a section that does not exist."""
import threading
import time
import types

import pytest

from reprolib import pipeline, sections
from reprolib.errors import ConfigError, ReproError


def test_readers_come_after_what_they_read():
    names = pipeline.all_sections()
    assert pipeline.after("spatial/fig14", names) == {"spatial/fig6"}
    assert pipeline.after("trades/whitebox", names) == {"closer_look/table2"}
    assert pipeline.after("closer_look/table2", names) == set()
    computing = {s for s in names if sections.get(s).run is not None}
    assert pipeline.after("scorecard", names) == pipeline.after("cake/closing", names) == computing
    assert pipeline.after("spatial/fig14", ["spatial/fig14"]) == set()  # only among the sections asked for


@pytest.fixture
def fake_execute(monkeypatch):
    events, lock = [], threading.Lock()

    def execute(section, *, profile, out):
        with lock:
            events.append(("start", section))
        time.sleep(0.05 if section != "closer_look/table2" else 0.3)
        if section == "closer_look/separation":
            raise ReproError(f"{section}: boom")
        with lock:
            events.append(("end", section))
        return out

    monkeypatch.setattr(pipeline, "execute", execute)
    return events


def test_execute_all_runs_in_parallel_in_dependency_order(fake_execute, tmp_path):
    names = ["closer_look/table2", "closer_look/existence", "trades/whitebox", "cake/tsipras", "scorecard"]
    out = pipeline.execute_all(names, profile="smoke", out_dir=tmp_path, workers=2)
    assert out == [tmp_path / f"{s}.ipynb" for s in names]
    order = {e: i for i, e in enumerate(fake_execute)}
    for reader, source in [("closer_look/existence", "closer_look/table2"), ("trades/whitebox", "closer_look/table2")]:
        assert order[("start", reader)] > order[("end", source)]
    assert all(order[("start", "scorecard")] > order[("end", s)] for s in names[:-1])
    # the long table2 did not hold up a section that does not read it
    assert order[("end", "cake/tsipras")] < order[("end", "closer_look/table2")]


def test_execute_all_stops_at_a_failure(fake_execute, tmp_path):
    with pytest.raises(ReproError, match="closer_look/separation: boom"):
        pipeline.execute_all(["closer_look/separation", "cake/tsipras", "trades/fig1", "scorecard"],
                             profile="smoke", out_dir=tmp_path, workers=1)
    assert ("start", "cake/tsipras") not in fake_execute
    with pytest.raises(ConfigError, match="workers=0"):
        pipeline.execute_all(["cake/tsipras"], profile="smoke", out_dir=tmp_path, workers=0)


def test_registry_rejects_reading_an_unknown_section(monkeypatch):
    bad = types.SimpleNamespace(SECTIONS=(sections.Section("x/y", profiles={"base": {}}, run=lambda *a: {},
                                                           reads=("x/nothing",)),))
    monkeypatch.setattr(sections, "paper_modules", lambda: [bad])
    with pytest.raises(ConfigError, match=r"section 'x/y' reads=\['x/nothing'\]: no such section"):
        sections.registry.__wrapped__()
