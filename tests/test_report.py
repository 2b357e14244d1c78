"""Page helpers: the settings table shows every value in full (pandas' HTML cuts at 50 characters)."""
from reprolib import profiles, report


def test_config_table_shows_long_values_in_full():
    methods = ["Natural", "GR", "LLR", "AT", "RST(λ=.5)", "RST(λ=1)", "RST(λ=2)", "TRADES(β=1)", "TRADES(β=3)"]
    cfg = profiles.resolve("closer_look/table2", "cpu", methods=methods)
    html = report.config_table("closer_look/table2", cfg, "cpu").data
    assert str(methods).replace("'", "&#x27;") in html or str(methods) in html
    assert "..." not in html


def test_config_table_shows_where_the_run_departs_from_the_papers_protocol():
    """The settings that differ from the section's paper profile are in view, with both values; every setting is
    in the folded table; the paper profile itself differs in nothing."""
    cfg = profiles.resolve("trades/whitebox", "full")
    differ = profiles.deviations("trades/whitebox", cfg)
    paper = profiles.resolve("trades/whitebox", "paper")
    assert "epochs" in differ and differ["epochs"] == (cfg["epochs"], paper["epochs"])
    assert "eps" not in differ  # full runs at the paper's radius
    shown, folded = report.config_table("trades/whitebox", cfg, "full").data.split("<details>")
    assert "Budget: <code>full</code>" in shown  # the page names the budget its numbers come from
    assert f"{len(differ)} of {len(cfg)} settings" in shown and shown.count("<tr>") == len(differ) + 1
    assert folded.count("<tr>") == len(cfg) + 1
    assert profiles.deviations("trades/whitebox", paper) == {}
    assert "in every setting" in report.config_table("trades/whitebox", paper, "paper").data


def test_a_wide_paper_vs_ours_table_is_shown_in_parts_that_fit():
    """Six metrics (eighteen columns) become three tables of two metrics each; the tolerance caption stays on the
    first; a table of two metrics stays one table."""
    rows = [{"method": m, **{k: 0.5 for k in "abcdef"}, "paper": {k: 0.4 for k in "abcdef"}} for m in ("AT", "TRADES")]
    table = report.paper_vs_ours(rows, index=["method"], metrics={k: k.upper() for k in "abcdef"},
                                 tolerance={"a": 0.05})
    html = report.styled(table).data
    assert html.count("<table") == 3 and html.count("<caption") == 1 and "#fdd49e" in html
    narrow = report.paper_vs_ours(rows, index=["method"], metrics={"a": "A", "b": "B"})
    assert report.styled(narrow).to_html().count("<table") == 1


def test_training_curves_are_drawn_per_architecture():
    """A grid of two architectures draws one row of panels (clean, PGD) per architecture, every network with a
    curve as a line; a network without one is not drawn."""
    import matplotlib.pyplot as plt

    from reprolib import grid

    def row(arch, method, seed=0, curve=True):
        return {"arch": arch, "method": method, "seed": seed,
                "curve": [{"epoch": e, "clean": 0.9 + e / 100, "pgd": 0.5 + e / 50} for e in (1, 2, 3)] if curve
                else None}

    rows = [row("CNN1", "Natural"), row("CNN1", "AT"), row("CNN2", "AT", seed=1), row("CNN2", "GR", curve=False)]
    fig = grid.curve_figure(rows, 1000, 10)
    axes = fig.axes
    assert [a.get_title() for a in axes] == ["CNN1: clean, first 1000 test images", "CNN1: PGD-10, same images",
                                             "CNN2: clean, first 1000 test images", "CNN2: PGD-10, same images"]
    assert [len(a.lines) for a in axes] == [2, 2, 1, 1]
    assert axes[3].get_legend().get_texts()[0].get_text() == "AT (seed 1)"
    plt.close(fig)
    # records that store the epoch's training loss get a third panel, on a log scale
    for r in rows[:2]:
        r["curve"] = [{**c, "loss": 2.0 / c["epoch"]} for c in r["curve"]]
    fig = grid.curve_figure(rows, 1000, 10)
    assert len(fig.axes) == 6 and fig.axes[2].get_title() == "CNN1: training loss (epoch mean)"
    assert fig.axes[2].get_yscale() == "log" and [len(a.lines) for a in fig.axes] == [2, 2, 2, 1, 1, 0]
    plt.close(fig)


def test_a_page_shows_its_curves_or_says_that_its_budget_stores_none(monkeypatch):
    from reprolib import grid

    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    monkeypatch.setattr("reprolib.plotting.show", lambda fig: shown.append(fig))
    curve = [{"epoch": 1, "clean": 0.9, "pgd": 0.5}]
    grid.show_curves({"rows": [{"arch": "CNN1", "method": "AT", "seed": 0}]}, {"curve_n": 0}, "cpu")
    assert len(shown) == 1 and "The `cpu` records store no training curves" in shown[0].data
    shown.clear()
    grid.show_curves({"rows": [{"arch": "CNN1", "method": "AT", "seed": 0, "curve": curve}]},
                     {"curve_n": 1000, "eval_steps": 40}, "full", measured="clean accuracy and A_rob")
    assert "its clean accuracy and A_rob on the first 1,000 test images" in shown[0].data
    assert [a.get_title() for a in shown[1].axes][1] == "PGD-40, same images"
    assert "plateaued:" in shown[0].data  # every epoch has its loss, or none has: nothing to say
    import matplotlib.pyplot as plt

    plt.close(shown[1])
    # a record whose first epochs were trained before the loop logged the objective: the page says where it starts
    shown.clear()
    curve = [{"epoch": e, "clean": 0.9, "pgd": 0.5, **({"loss": 0.1} if e > 2 else {})} for e in (1, 2, 3, 4)]
    grid.show_curves({"rows": [{"arch": "CNN1", "method": "AT", "seed": 1, "curve": curve}]},
                     {"curve_n": 1000, "eval_steps": 40}, "full")
    assert "plateaued (the training loss from the epoch its record logged it on: AT (seed 1) 3; the epochs before " \
        "were trained by an earlier version of the loop" in shown[0].data
    plt.close(shown[1])


def test_the_shared_targets_judge_a_table_its_curves_and_its_audits():
    from reprolib import grid
    from reprolib.claims import mean_distance, plateaued

    rows = [{"arch": "CNN1", "method": "AT", "seed": 0, "test_acc": 0.990, "paper": {"test_acc": 0.992},
             "curve": [{"clean": 0.98, "pgd": 0.90}, {"clean": 0.99, "pgd": 0.91}]},
            {"arch": "CNN1", "method": "TRADES", "seed": 0, "test_acc": 0.985, "paper": {"test_acc": 0.992},
             "curve": [{"clean": 0.98, "pgd": 0.80}, {"clean": 0.985, "pgd": 0.83}]},
            {"arch": "CNN1", "method": "GR", "seed": 0, "test_acc": 0.5, "paper": {}}]  # no paper value: left out
    near = mean_distance("t.clean", "clean accuracy", rows, "test_acc", 0.5)
    assert near["passed"] and near["evidence"] == "mean 0.45 points over 2 rows; largest -0.70 (CNN1 TRADES)"
    assert not mean_distance("t.clean", "clean accuracy", rows, "test_acc", 0.4)["passed"]
    flat = plateaued("t.flat", rows[:2])
    assert not flat["passed"] and "largest last-epoch move 3.0 points (CNN1 TRADES s0)" in flat["evidence"]
    assert plateaued("t.flat", rows[:1])["passed"] and not plateaued("t.flat", rows)["passed"]  # GR: no curve
    record = {"config": {"archs": ["CNN1"], "methods": ["Natural", "AT"], "seeds": [0], "spread_seeds": [],
                         "spread_methods": [], "audit_methods": ["AT"], "audit_seeds": [0]},
              "audit": {"rows": [{"arch": "CNN1", "method": "AT", "seed": 0, "n": 1000}]}}
    assert grid.audit_target("t.audit", record, 1000)["passed"]
    assert grid.audit_target("t.audit", record, 2000)["evidence"] == "0 of 1"


def test_the_costs_page_counts_every_epoch_of_a_network_trained_over_several_processes():
    """A record whose run was resumed before the loop carried its time over counted only the last process: the
    costs page takes the stored epochs' sum where it is larger (a floor: the curve's measurements are not in it)."""
    from reprolib import scorecard

    epochs = [{"epoch": e, "seconds": 100.0} for e in (1, 2, 3)]
    assert scorecard.training_seconds({"train_seconds": 120.0, "history": epochs}) == 300.0  # resumed after epoch 2
    assert scorecard.training_seconds({"train_seconds": 340.0, "history": epochs}) == 340.0  # with the curves
    assert scorecard.training_seconds({"train_seconds": 50.0}) == 50.0  # no curve, no history: as recorded
