"""The fidelity figure and the scorecard's fidelity column are computed from the records, and only from them."""
import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from reprolib import fidelity, results, scorecard  # noqa: E402


def _record(acc: float, lipschitz: float = 30.0) -> dict:
    return {"artifact": "trades.table5", "profile": "cpu", "rows": [
        {"arch": "SmallCNN", "method": "Madry", "seed": 0, "test_acc": acc, "test_acc_sd": 0.5, "lipschitz": lipschitz,
         "paper": {"test_acc": 0.99, "test_acc_sd": 0.001, "lipschitz": 20.0, "adv_test_acc": 0.9}},
        {"method": "Natural", "paper": {}},
        {"case": "a bound", "robust": 0.5, "paper": {"robust": 0.76}, "paper_relation": "≥"}],
        "suite": {"transfer": [{"source": "Natural", "target": "Madry", "acc": 0.95, "paper": {"acc": 0.97}}]}}


def test_every_compared_number_of_a_record_and_only_those():
    """Pairs come from every entry carrying the paper's values, nested ones included; the papers' spreads, metrics
    the record lacks, empty paper dicts and bounds (paper_relation) are left out; distances are in points for
    quantities in [0, 1] and in % of the paper's value for larger ones."""
    got = {(c["entry"], c["metric"]): c for c in fidelity.comparisons(_record(0.98))}
    assert set(got) == {("arch=SmallCNN, method=Madry, seed=0", "test_acc"),
                        ("arch=SmallCNN, method=Madry, seed=0", "lipschitz"),
                        ("source=Natural, target=Madry", "acc")}
    acc = got[("arch=SmallCNN, method=Madry, seed=0", "test_acc")]
    assert (acc["scale"], acc["distance"], acc["budget"], acc["chapter"]) == ("points", pytest.approx(1.0), "cpu",
                                                                                "trades")
    lip = got[("arch=SmallCNN, method=Madry, seed=0", "lipschitz")]
    assert (lip["scale"], lip["distance"]) == ("% of paper", pytest.approx(50.0))
    assert got[("source=Natural, target=Madry", "acc")]["distance"] == pytest.approx(2.0)


def test_a_changed_record_changes_the_figure_data_and_the_scorecard_column(tmp_path):
    """Store a record, read the book's fidelity from it; change a number in it, and the figure's data and the
    scorecard's column change with it (nothing is cached or typed)."""
    def store(acc):
        results.cached("trades.table5", profile="cpu", root=tmp_path, config={"p": 1}, recompute=True,
                       compute=lambda: {k: v for k, v in _record(acc).items() if k not in ("artifact", "profile")})

    store(0.98)
    before = fidelity.frame(root=tmp_path)
    assert set(before["artifact"]) == {"trades.table5"} and len(before) == 3
    column = scorecard.scorecard(root=tmp_path).set_index("artifact").loc["trades.table5", "fidelity"]
    assert column == "2.0 / 1.5 pt (2); 50.0 / 50.0 % (1)"
    store(0.95)
    after = fidelity.frame(root=tmp_path)
    assert after.loc[after["metric"] == "test_acc", "ours"].item() == 0.95
    assert scorecard.scorecard(root=tmp_path).set_index("artifact").loc["trades.table5", "fidelity"] == \
        "4.0 / 3.0 pt (2); 50.0 / 50.0 % (1)"
    fig = fidelity.figure(after)
    left = fig.axes[0].collections[0].get_offsets()
    assert sorted(map(tuple, left.tolist())) == [(97.0, 95.0), (99.0, 95.0)]


def test_the_full_record_replaces_the_cpu_one_in_the_figure(tmp_path):
    """The book's fidelity reads the record the book shows: the full one once stored, marked by its budget."""
    for profile, acc in (("cpu", 0.9), ("full", 0.99)):
        results.cached("trades.table5", profile=profile, root=tmp_path, config={"p": profile},
                       compute=lambda acc=acc: {"rows": _record(acc)["rows"]})
    df = fidelity.frame(root=tmp_path)
    assert set(df["budget"]) == {"full"}
    assert df.loc[df["metric"] == "test_acc", "distance"].item() == pytest.approx(0.0)
