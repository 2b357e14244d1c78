"""Sweeps through submitit (README, GPUs and clusters; book/rerun.md): the same jobs as on a Slurm cluster, run by
submitit's local executor, store the same records as the local process pool; a stored configuration is not
submitted again; a job killed mid-training is resubmitted and resumes from its checkpoint; and the Slurm executor
writes the right sbatch script (a fake ``sbatch`` on the PATH, since no cluster is at hand)."""
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest
import torch

from reprolib import profiles, results, sweep
from reprolib.__main__ import main

SECTION = "closer_look/table2"
TINY = dict(methods=["Natural", "GR"], n_train=64, n_eval_train=16, n_eval_test=16, eval_steps=1, lip_steps=1,
            audit_methods=[])


@pytest.fixture
def store(tmp_path, monkeypatch):
    """A records store and checkpoints of this test's own (jobs inherit them from the submitting process)."""
    def use(name):
        monkeypatch.setenv("REPROLIB_RESULTS", str(tmp_path / name / "results"))
        monkeypatch.setenv("REPROLIB_ARTIFACTS", str(tmp_path / name / "artifacts"))
        return tmp_path / name
    return use


def _records(root: Path) -> dict[str, dict]:
    """The stored configurations by file name, without what differs between two runs (times, dates)."""
    out = {}
    for path in (root / "results" / "closer_look" / "table2@smoke").glob("*.json"):
        rec = json.loads(path.read_text())
        prov = rec.pop("provenance")
        rec["final_epoch"].pop("seconds")  # an epoch's time
        out[path.name] = {**{k: v for k, v in rec.items() if k not in ("train_seconds", "eval_seconds", "digest")},
                          "threads": prov["threads"], "processes": prov.get("processes", 1)}
    return out


def test_submitit_jobs_store_what_the_process_pool_stores_and_stored_ones_are_not_submitted(store):
    cfg = profiles.resolve(SECTION, "smoke", **TINY)
    pool = store("pool")
    assert {o.status for o in sweep.run_sweep(SECTION, cfg, "smoke", executor="local", workers=2)} == {"done"}
    jobs = store("jobs")
    log_dir = jobs / "logs"
    lines = []
    outcomes = sweep.run_sweep(SECTION, cfg, "smoke", executor="submitit-local", workers=2, log_dir=log_dir,
                               report=lines.append)
    assert [(o.label, o.status) for o in outcomes] == [("archs=CNN1 methods=Natural seeds=0", "done"),
                                                       ("archs=CNN1 methods=GR seeds=0", "done")], sweep.table(outcomes)
    for o in outcomes:  # each job's log is named, and says where it stored its configuration
        assert any(str(o.log) in line for line in lines) and o.log.parent == log_dir
        assert f"records in {jobs / 'results'}" in o.log.read_text()
        assert "epoch 1/1, " in o.log.read_text()  # a long job's log shows its progress, epoch by epoch
    expected, got = _records(pool), _records(jobs)
    assert len(got) == 2 and got == expected  # same configuration hashes (file names), configurations, numbers
    assert all(r["threads"] == 1 for r in got.values())

    before = sorted(p.name for p in log_dir.iterdir())
    again = sweep.run_sweep(SECTION, cfg, "smoke", executor="submitit-local", log_dir=log_dir)
    assert [o.status for o in again] == ["skipped", "skipped"] and all(o.job is None for o in again)
    assert sorted(p.name for p in log_dir.iterdir()) == before  # nothing was submitted
    assert sweep.table(again).splitlines()[-1] == "2 skipped"


def _kill_job(controller: int) -> None:
    """SIGKILL the training process of a submitit-local job (its controller's child), as a node failure would;
    where /proc does not list children, interrupt the controller instead (submitit's LocalJob.cancel)."""
    children = Path(f"/proc/{controller}/task/{controller}/children")
    pids = children.read_text().split() if children.exists() else []
    for pid in pids:
        os.kill(int(pid), signal.SIGKILL)
    if not pids:
        os.kill(controller, signal.SIGINT)


def test_a_job_killed_mid_training_is_resubmitted_and_resumes_from_its_checkpoint(store):
    """The first job is cancelled (as ``scancel`` or a pre-emption would) once it has checkpointed an epoch; the
    next sweep submits the configuration again, and its job must continue from that checkpoint: a marker put into
    the killed run's checkpoint survives into the finished one only if the new job resumed from it."""
    cfg = profiles.resolve(SECTION, "smoke", **{**TINY, "methods": ["AT"], "n_train": 128}, epochs=3,
                           attack_steps=3)
    root = store("resume")
    log_dir, ckpts = root / "logs", root / "artifacts" / "networks"  # (grid.MethodGrid.checkpoint)

    def kill_after_first_epoch():
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if list(ckpts.glob("*.pt")) and (log_dir / "jobs.json").exists():
                job_id = next(iter(json.loads((log_dir / "jobs.json").read_text()).values()))["job_id"]
                _kill_job(int(job_id))
                return
            time.sleep(0.01)

    killer = threading.Thread(target=kill_after_first_epoch)
    killer.start()
    first = sweep.run_sweep(SECTION, cfg, "smoke", executor="submitit-local", log_dir=log_dir)
    killer.join()
    assert [o.status for o in first] == ["failed"] and "killed" in first[0].error, sweep.table(first)
    assert "1 failed" in sweep.table(first)
    (ckpt,) = ckpts.glob("*.pt")
    state = torch.load(ckpt, weights_only=False)
    assert 1 <= state["epoch"] < 3, "the job was not killed mid-training"
    killed_at = state["epoch"]
    state["history"][0]["killed_run"] = 1.0  # survives only in a training that resumed from this checkpoint
    torch.save(state, ckpt)

    second = sweep.run_sweep(SECTION, cfg, "smoke", executor="submitit-local", log_dir=log_dir)
    assert [o.status for o in second] == ["done"] and second[0].job_id != first[0].job_id, sweep.table(second)
    final = torch.load(ckpt, weights_only=False)
    assert final["epoch"] == 3 and [e["epoch"] for e in final["history"]] == [1, 2, 3]
    assert final["history"][0].get("killed_run") == 1.0, "the resubmitted job trained from scratch"
    assert all("killed_run" not in e for e in final["history"][killed_at:])
    (record,) = _records(root).values()
    assert record["final_epoch"]["epoch"] == 3 and record["method"] == "AT"
    assert [o.status for o in sweep.run_sweep(SECTION, cfg, "smoke", executor="submitit-local",
                                              log_dir=log_dir)] == ["skipped"]


FAKE_SBATCH = """#!/bin/bash
# records its arguments and the script it was given, answers like sbatch
n=$(ls "{d}" | grep -c '^sbatch-.*\\.sh$')
echo "$@" > "{d}/sbatch-$n.args"
cp "$1" "{d}/sbatch-$n.sh"
echo "Submitted batch job $((42 + n))"
"""
FAKE_SACCT = """#!/bin/bash
echo "JobID|State|NodeList"
cat "{d}/sacct.txt" 2>/dev/null || true
"""


def test_slurm_executor_writes_an_sbatch_script_per_configuration(store, tmp_path, monkeypatch, capsys):
    import submitit

    root = store("slurm")
    fake = tmp_path / "fake-slurm"
    fake.mkdir()
    for name, text in (("sbatch", FAKE_SBATCH), ("sacct", FAKE_SACCT), ("srun", "#!/bin/bash\nexit 0\n")):
        (fake / name).write_text(text.format(d=fake))
        (fake / name).chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake}:{os.environ['PATH']}")
    log_dir = tmp_path / "slurm-logs"
    params = [a for k, v in TINY.items() for a in ("-p", f"{k}={json.dumps(v)}")]
    argv = ["sweep", SECTION, "--profile", "smoke", *params,
            "--executor", "slurm", "--partition", "gpu-long", "--gpus-per-job", "2", "--time-min", "90",
            "--mem-gb", "32", "--cpus-per-job", "8", "--slurm-arg", "account=robust", "--log-dir", str(log_dir),
            "--no-wait"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert f"job 42, log {log_dir / '42_0_log.out'}" in out and f"job 43, log {log_dir / '43_0_log.out'}" in out
    assert "2 submitted" in out

    assert sorted(p.name for p in fake.glob("sbatch-*.sh")) == ["sbatch-0.sh", "sbatch-1.sh"]  # one job each
    script = (fake / "sbatch-0.sh").read_text()
    for option in ("--partition=gpu-long", "--gpus-per-node=2", "--ntasks-per-node=2", "--time=90", "--mem=32GB",
                   "--cpus-per-task=4", "--account=robust", f"--output={log_dir}/%j_0_log.out"):
        assert f"#SBATCH {option}\n" in script, (option, script)
    command = script.strip().splitlines()[-1]
    assert command.startswith("srun ") and command.endswith(f"{sys.executable} -u -m submitit.core._submit {log_dir}")
    job = submitit.helpers.DelayedSubmission.load(log_dir / "42_submitted.pkl")
    section, one, profile, env, threads = job.args
    assert isinstance(job.function, sweep.SweepJob) and (section, profile, threads) == (SECTION, "smoke", 4)
    assert (one["archs"], one["methods"], one["seeds"], one["n_train"]) == (["CNN1"], ["Natural"], [0], 64)
    assert env["REPROLIB_RESULTS"] == str(root / "results") and env["REPROLIB_ARTIFACTS"] == str(root / "artifacts")

    # Job 42 is still running, job 43 failed: only the failed configuration is submitted again.
    (fake / "sacct.txt").write_text("42|RUNNING|node1\n43|FAILED|node2\n")
    again = sweep.run_sweep(SECTION, profiles.resolve(SECTION, "smoke", **TINY), "smoke", executor="slurm",
                            log_dir=log_dir, wait=False)
    assert [(o.status, o.job_id) for o in again] == [("in flight", "42"), ("submitted", "44")]
    assert len(list(fake.glob("sbatch-*.sh"))) == 3


def test_a_failed_job_is_summarised_by_its_exception_line():
    from submitit.core.utils import FailedJobError, UncompletedJobError

    trace = "Traceback (most recent call last):\n  File \"x.py\", line 1\nreprolib.errors.DataError: cifar10 is offline"
    failed = FailedJobError(f"Job (task=0) failed during processing with trace:\n{'-' * 22}\n{trace}\n{'-' * 22}\n"
                            "You can check full logs with 'job.stderr(0)'")
    assert sweep._summary(failed) == "reprolib.errors.DataError: cifar10 is offline"
    lost = UncompletedJobError("Job 7 (task: 0) with path /x\nhas not produced any output (state: CANCELLED by 1)")
    assert sweep._summary(lost).startswith("killed, pre-empted or out of time")
    assert "CANCELLED by 1" in sweep._summary(lost)
