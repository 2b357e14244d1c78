import pytest
import torch

from reprolib import losses, metrics, models
from reprolib.errors import ConfigError
from reprolib.papers.closer_look import METHODS as CLOSER_LOOK_METHODS
from reprolib.train import TrainConfig, fit


def _loss(name, **kw):
    spec = dict(CLOSER_LOOK_METHODS[name])
    method = spec.pop("method")
    if method in ("at", "rst", "trades", "llr"):
        spec.update(eps=0.1, steps=2, step_size=0.05)
    return losses.build(method, **{**spec, **kw})


@pytest.mark.parametrize("name", list(CLOSER_LOOK_METHODS))
def test_every_method_trains_a_few_batches_and_evaluates(name, mnist_small):
    x, y, xt, yt = mnist_small
    torch.manual_seed(0)
    model = models.build("CNN2")
    hist = fit(model, x[:256], y[:256], loss_fn=_loss(name), cfg=TrainConfig(epochs=1, batch_size=64, lr=0.05),
               progress=False)
    stats = hist.epochs[-1]
    assert all(torch.isfinite(torch.tensor(v)) for v in stats.values())
    assert 0 <= metrics.accuracy(model, xt[:100], yt[:100]) <= 1


def test_losses_leave_optimizer_and_mode_alone(mnist_small):
    x, y, _, _ = mnist_small
    model = models.build("CNN2").train()
    loss, stats = _loss("TRADES(β=6)")(model, x[:16], y[:16])
    assert model.training and loss.requires_grad and set(stats) == {"ce", "kl"}
    model.eval()
    _loss("AT")(model, x[:16], y[:16])
    assert not model.training


def test_trades_with_beta_zero_is_cross_entropy(mnist_small):
    x, y, _, _ = mnist_small
    model = models.build("CNN1").eval()  # eval: no dropout, so both passes agree
    loss, _ = losses.build("trades", eps=0.1, steps=1, step_size=0.05, beta=0.0)(model, x[:32], y[:32])
    nat, _ = losses.build("natural")(model, x[:32], y[:32])
    assert torch.allclose(loss, nat)


def test_channels_last_training_matches_the_default_layout(mnist_small):
    x, y, _, _ = mnist_small
    trained = {}
    for cl in (False, True):
        torch.manual_seed(0)
        model = models.build("CNN2")
        fit(model, x[:128], y[:128], loss_fn=_loss("TRADES(β=6)"), progress=False,
            cfg=TrainConfig(epochs=1, batch_size=32, lr=0.05, channels_last=cl))
        trained[cl] = model
    assert trained[True].features[2].weight.is_contiguous(memory_format=torch.channels_last)
    assert not trained[False].features[2].weight.is_contiguous(memory_format=torch.channels_last)
    for a, b in zip(trained[False].parameters(), trained[True].parameters()):
        assert torch.allclose(a, b, atol=1e-4), (a - b).abs().max()


def test_interrupted_training_resumes_to_the_same_weights(mnist_small, tmp_path):
    x, y, _, _ = mnist_small
    cfg = TrainConfig(epochs=3, batch_size=50, lr=0.05, seed=1)
    loss_fn = _loss("TRADES(β=1)", steps=1)
    xs, ys = x[:300], y[:300]

    def run(ckpt, stop=None):
        torch.manual_seed(123)
        model = models.build("CNN2")  # includes dropout: the RNG state must be resumed too
        hist = fit(model, xs, ys, loss_fn=loss_fn, cfg=cfg, checkpoint=ckpt, progress=False, stop_after_epoch=stop)
        return model, hist

    straight, _ = run(tmp_path / "a.pt")
    _, part = run(tmp_path / "b.pt", stop=1)   # "killed" after epoch 1
    first = torch.load(tmp_path / "b.pt", weights_only=False)["seconds"]
    resumed, hist = run(tmp_path / "b.pt")     # picks up at epoch 2
    for p, q in zip(straight.state_dict().values(), resumed.state_dict().values()):
        assert torch.equal(p, q)
    assert not list(tmp_path.glob("*.tmp"))
    # a resumed network's time counts its first sitting too (the cost of the network, not of the last process)
    assert hist.resumed_from == 1 and 0 < first <= part.seconds
    assert hist.seconds >= first + sum(e["seconds"] for e in hist.epochs[1:]) - 0.1  # epoch seconds: 0.1 s rounding


def test_a_longer_schedule_continues_a_shorter_runs_checkpoint_to_the_same_weights(mnist_small, tmp_path):
    """A run of 2 epochs is a prefix of the same run of 3 (same milestones): continuing its checkpoint ends where
    training 3 epochs from scratch ends; a shorter run that differs in anything else, or a checkpoint past the run's
    end, is not continued."""
    x, y, _, _ = mnist_small
    xs, ys = x[:100], y[:100]
    loss_fn = _loss("TRADES(β=1)", steps=1)

    def run(epochs, ckpt, earlier=(), lr=0.05):
        torch.manual_seed(7)
        model = models.build("CNN2")  # dropout: the random state carries over too
        hist = fit(model, xs, ys, loss_fn=loss_fn, checkpoint=ckpt, earlier=earlier, progress=False,
                   cfg=TrainConfig(epochs=epochs, batch_size=50, lr=lr, milestones=(1,), seed=1))
        return model, hist

    straight, _ = run(3, tmp_path / "straight.pt")
    run(2, tmp_path / "short.pt")
    run(2, tmp_path / "other.pt", lr=0.02)
    longer, hist = run(3, tmp_path / "long.pt", earlier=[tmp_path / "other.pt", tmp_path / "short.pt"])
    assert hist.resumed_from == 2 and [e["epoch"] for e in hist.epochs] == [1, 2, 3]
    assert [e["lr"] for e in hist.epochs] == pytest.approx([0.005, 0.005, 0.005])
    for p, q in zip(straight.state_dict().values(), longer.state_dict().values()):
        assert torch.equal(p, q)
    assert run(3, tmp_path / "x.pt", earlier=[tmp_path / "other.pt"])[1].resumed_from == 0
    assert run(2, tmp_path / "y.pt", earlier=[tmp_path / "long.pt"])[1].resumed_from == 0  # past its end


def test_checkpoint_of_another_configuration_is_not_reused(mnist_small, tmp_path):
    x, y, _, _ = mnist_small
    ckpt = tmp_path / "c.pt"
    fit(models.build("StdCNN"), x[:100], y[:100], loss_fn=losses.build("natural"),
        cfg=TrainConfig(epochs=1, batch_size=50), checkpoint=ckpt, progress=False)
    hist = fit(models.build("StdCNN"), x[:100], y[:100], loss_fn=losses.build("natural"),
               cfg=TrainConfig(epochs=1, batch_size=50, lr=0.02), checkpoint=ckpt, progress=False)
    assert hist.resumed_from == 0


@pytest.mark.parametrize("kwargs, match", [({"epochs": 0}, "epochs=0"), ({"lr": -1.0}, "lr=-1.0"),
                                            ({"optimizer": "rmsprop"}, "optimizer='rmsprop'"),
                                            ({"precision": "fp8"}, "precision='fp8'")])
def test_train_config_rejects_bad_values(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        TrainConfig(**kwargs)


@pytest.mark.parametrize("kwargs, match", [({"eps": -0.3}, "eps=-0.3"), ({"steps": 0}, "steps=0"),
                                            ({"step_size": 0}, "step_size=0")])
def test_methods_reject_bad_attack_settings(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        losses.build("trades", **{"eps": 0.1, "steps": 2, "step_size": 0.01, **kwargs})
    with pytest.raises(ConfigError, match="unknown method 'mart'"):
        losses.build("mart")


def test_bf16_training_accuracy_difference(mnist_small, capsys):
    """bf16 autocast at smoke scale: reports the accuracy difference to fp32 (both must learn)."""
    x, y, xt, yt = mnist_small
    acc = {}
    for precision in ("fp32", "bf16"):
        torch.manual_seed(0)
        model = models.build("StdCNN")
        fit(model, x, y, loss_fn=losses.build("natural"),
            cfg=TrainConfig(epochs=4, batch_size=32, lr=2e-3, optimizer="adam", precision=precision),
            progress=False)
        acc[precision] = metrics.accuracy(model, xt, yt)
    with capsys.disabled():
        print(f"\n[bf16 smoke] test accuracy fp32 {acc['fp32']:.3f}, bf16 {acc['bf16']:.3f}, "
              f"difference {acc['bf16'] - acc['fp32']:+.3f}")
    assert acc["fp32"] > 0.85 and acc["bf16"] > 0.85


def test_sweep_runs_configurations_in_workers_and_skips_stored_ones(session_tmp):
    from reprolib import profiles, results, sweep

    cfg = profiles.resolve("closer_look/table2", "smoke", methods=["Natural", "GR"], n_train=64, n_eval_train=16,
                           n_eval_test=16, eval_steps=1, lip_steps=1)
    outcomes = sweep.run_sweep("closer_look/table2", cfg, "smoke", workers=2)
    assert {o.status for o in outcomes} <= {"done", "skipped"}
    done = [o.config for o in outcomes]
    assert sorted((c["archs"], c["methods"], c["seeds"]) for c in done) == [(["CNN1"], ["GR"], [0]),
                                                                            (["CNN1"], ["Natural"], [0])]
    assert all(o.status == "skipped" for o in sweep.run_sweep("closer_look/table2", cfg, "smoke", workers=2))
    stored = list(results.sweep_dir("closer_look.table2", "smoke").glob("*.json"))
    assert len(stored) >= 2
    from reprolib.papers import closer_look
    rec = closer_look.TABLE2_GRID.compute(cfg, "smoke", progress=False)  # everything reused: no training
    assert [r["method"] for r in rec["rows"]] == ["Natural", "GR"]


def test_a_changed_method_preset_is_a_new_run(monkeypatch):
    from reprolib import profiles, results
    from reprolib.papers.closer_look import table2

    cfg = profiles.resolve("closer_look/table2", "smoke")
    before = results.config_hash(table2.TABLE2_GRID.run_config(cfg, "CNN1", "TRADES(β=6)", 0))
    monkeypatch.setitem(table2.METHODS, "TRADES(β=6)", {"method": "trades", "beta": 5.0})
    assert results.config_hash(table2.TABLE2_GRID.run_config(cfg, "CNN1", "TRADES(β=6)", 0)) != before


def test_joint_forward_equals_separate_passes():
    torch.manual_seed(0)
    a, b = torch.rand(5, 1, 28, 28), torch.rand(7, 1, 28, 28)
    for name in ("CNN2", "CNN1_BN1"):
        model = models.build(name).eval()
        ja, jb = losses.joint_forward(model, a, b)
        assert torch.allclose(ja, model(a), atol=1e-5) and torch.allclose(jb, model(b), atol=1e-5)


@pytest.mark.parametrize("section, key, stores", [("spatial/fig6", "gcnn", ["spatial.fig6", "spatial.fig6"]),
                                                  ("trades/table4", "companion",
                                                   ["trades.table4", "trades.table4_companion"])])
def test_a_variant_sweep_point_is_one_run_of_its_grid_hashed_as_the_sections_own(section, key, stores, monkeypatch):
    """Spatial's GCNN and TRADES Table 4's companion: each sweep point runs exactly one network, in the grid (and
    store) that the section's own computation uses for it, under the configuration the section stores it by."""
    from reprolib import grid, profiles, sections

    cfg = profiles.resolve(section, "smoke")
    main, variant = grid.variants(cfg, key)
    assert key not in main and variant == {**main, **cfg[key]}
    assert grid.variants({**cfg, key: None}, key) == [main]
    calls = []
    monkeypatch.setattr(grid.MethodGrid, "compute",
                        lambda self, c, profile, progress=False: calls.append((self, c)))
    spec = sections.get(section).sweep
    points = spec.points(cfg)
    expected = [(i, one) for i, settings in enumerate((main, variant)) for one in grid.grid(settings)]
    assert len(points) == len(expected) and {i for i, _ in expected} == {0, 1}
    for point, (i, one) in zip(points, expected):
        calls.clear()
        spec.run({**cfg, **point}, "smoke")
        assert [(g.store, grid.grid(c)) for g, c in calls] == [(stores[i], [one])], point
        g, ran = calls[0]
        assert g.run_config(ran, *one) == g.run_config((main, variant)[i], *one)


def test_a_curve_measured_after_every_epoch_leaves_the_training_unchanged(mnist_small):
    """``on_epoch`` (the per-epoch curve of the full budget) draws random numbers of its own (PGD's random start);
    the trained weights are those of a training without it, and the history holds its measurements."""
    from reprolib import metrics

    x, y, xt, yt = mnist_small
    cfg = TrainConfig(epochs=2, batch_size=64, lr=0.01, seed=3)

    def train(on_epoch):
        torch.manual_seed(3)
        model = models.build("StdCNN")
        hist = fit(model, x[:256], y[:256], loss_fn=losses.build("at", eps=0.1, steps=2, step_size=0.05), cfg=cfg,
                   progress=False, on_epoch=on_epoch)
        return model, hist

    def curve(model, epoch):
        model.eval()
        return {"curve_pgd": metrics.robust_accuracy(model, xt[:32], yt[:32], eps=0.1, steps=2, step_size=0.05)}

    plain, _ = train(None)
    measured, hist = train(curve)
    assert all(torch.equal(a, b) for a, b in zip(plain.state_dict().values(), measured.state_dict().values()))
    assert [e["epoch"] for e in hist.epochs] == [1, 2] and all("curve_pgd" in e for e in hist.epochs)


def test_trades_gradient_stays_finite_when_a_clean_prediction_is_certain():
    """A clean logit margin of ~110 puts a probability at exactly 0 in float32: the KL's gradient through its
    target must still be a number (with softmax as the target it was log 0 · 0 = NaN)."""
    class Confident(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = torch.nn.Parameter(torch.tensor(1.0))

        def forward(self, x):
            z = x.flatten(1)[:, :3].sum(1, keepdim=True)
            return self.scale * torch.cat([110 + z, z, -z], 1)

    model = Confident()
    loss, _ = losses.build("trades", eps=0.1, steps=2, step_size=0.05, beta=6.0)(model, torch.rand(4, 1, 28, 28),
                                                                                torch.zeros(4, dtype=torch.long))
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(model.scale.grad)


def test_a_training_whose_loss_turns_nan_stops_at_once_and_stores_nothing_of_that_epoch(mnist_small, tmp_path):
    from reprolib.errors import TrainingError

    x, y, _, _ = mnist_small
    calls = []

    def blows_up(model, xb, yb):  # fine for the first epoch's 2 batches, then NaN
        calls.append(1)
        loss = torch.nn.functional.cross_entropy(model(xb), yb)
        return (loss * float("nan") if len(calls) > 3 else loss), {}

    ckpt = tmp_path / "run.pt"
    with pytest.raises(TrainingError, match=r"the training loss is nan at epoch 2, batch 2; .*holds epoch 1"):
        fit(models.build("CNN2"), x[:100], y[:100], loss_fn=blows_up, cfg=TrainConfig(epochs=3, batch_size=50),
            checkpoint=ckpt, progress=False)
    assert len(calls) == 4 and torch.load(ckpt, weights_only=False)["epoch"] == 1
