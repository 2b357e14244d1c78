"""Sweeps: run a section's grid of configurations, here in worker processes or as jobs on a Slurm cluster.

A section with a grid declares it (:class:`reprolib.sections.Sweep`: its points, the runner of one point, and
whether a point is already stored). Every configuration is stored on its own as soon as it finishes
(``results.cached_run``, atomic), and a configuration already stored is not run again, so a sweep can be
stopped and restarted at will; a notebook (or ``compute``) run of the section afterwards only merges them.

Three executors, one per :data:`EXECUTORS` entry:

* ``local``: the standard library's ``ProcessPoolExecutor`` on this machine (``workers`` processes).
* ``slurm``: one Slurm job per configuration through submitit (``sbatch``; partition, GPUs, time limit,
  memory and CPUs per job from :class:`JobOptions`). A job with more than one GPU runs one process per GPU
  (submitit's ``tasks_per_node``, i.e. ``srun`` starts them) that join a process group as under ``torchrun``
  and train with DistributedDataParallel. A job that Slurm pre-empts or times out is requeued by submitit
  (at most 3 time-outs) and resumes from its training checkpoint (``$REPROLIB_ARTIFACTS``).
* ``submitit-local``: the same pickled jobs and job folders through submitit's local executor (separate
  processes on this machine, ``workers`` at a time): what the tests use in place of a cluster.

Jobs receive the submitting process's ``REPROLIB_*`` settings (results, artifacts and data folders), so they
write into the same records store. Each job's log (stdout and stderr) is ``<log_dir>/<job id>_0_log.out``;
``<log_dir>/jobs.json`` remembers which job was last submitted for each configuration, so that a configuration
whose Slurm job is still queued or running is not submitted twice. A failed job is submitted again by the next
sweep and resumes from its checkpoint.
"""
from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import torch
from tqdm import tqdm

from . import results, sections
from .errors import ConfigError
from .parallel import process_group
from .paths import artifacts_dir, data_dir, results_dir

EXECUTORS = ("local", "slurm", "submitit-local")
# Slurm states of a job that may still store its configuration: such a configuration is not submitted again.
_IN_FLIGHT = {"PENDING", "CONFIGURING", "RUNNING", "COMPLETING", "REQUEUED", "REQUEUE_FED", "REQUEUE_HOLD",
              "RESIZING", "SUSPENDED", "STAGE_OUT", "SIGNALING"}


@dataclass(frozen=True)
class JobOptions:
    """Resources of one job (``slurm``; ``submitit-local`` uses the time limit, GPUs and CPUs).

    ``gpus_per_job`` > 1 runs one training process per GPU (DistributedDataParallel); ``processes_per_job``
    overrides that count (e.g. several gloo processes on a CPU node). ``cpus_per_job`` is split between the
    job's processes (Slurm ``--cpus-per-task``), and each process uses that many torch threads.
    ``slurm_args`` adds any other ``#SBATCH`` option (``{"account": "abc", "qos": "high"}``)."""
    partition: str | None = None
    gpus_per_job: int = 0
    time_min: int = 24 * 60
    mem_gb: float | None = None
    cpus_per_job: int | None = None
    processes_per_job: int | None = None
    slurm_args: dict[str, Any] = field(default_factory=dict)

    @property
    def processes(self) -> int:
        return self.processes_per_job or max(1, self.gpus_per_job)

    @property
    def cpus_per_process(self) -> int | None:
        return None if self.cpus_per_job is None else max(1, self.cpus_per_job // self.processes)


@dataclass
class Outcome:
    """One configuration of a sweep: ``status`` is done, failed, skipped (already stored), in flight (its job
    is still queued or running) or submitted (not waited for)."""
    label: str
    config: dict
    status: str
    job_id: str | None = None
    log: Path | None = None
    error: str = ""
    job: Any = field(default=None, repr=False)  # the submitit job, when one was submitted


def _spec(section: str) -> sections.Sweep:
    spec = sections.get(section)
    if spec.sweep is None:
        raise ConfigError(f"section '{section}' has no grid to sweep; sections with one: "
                          f"{', '.join(n for n, s in sections.registry().items() if s.sweep)}")
    return spec.sweep


def points(section: str, cfg: dict) -> list[dict]:
    """The configurations of ``section``'s grid, each as the full configuration of one point."""
    return [{**cfg, **point} for point in _spec(section).points(cfg)]


def _label(point: dict) -> str:
    """``archs=CNN1 methods=AT seeds=0`` for the overrides of one point (empty lists left out)."""
    def show(v):
        return ",".join(map(str, v)) if isinstance(v, (list, tuple)) else str(v)
    return " ".join(f"{k}={show(v)}" for k, v in point.items() if v != [])


def is_stored(section: str, cfg: dict, profile: str) -> bool:
    """Whether the configuration ``cfg`` (one point) is stored (False for a section that cannot tell)."""
    stored = _spec(section).stored
    return bool(stored and stored(cfg, profile))


# ---- local: a process pool on this machine ---------------------------------------------------------------------

def _one(section: str, cfg: dict, profile: str, threads: int) -> dict:
    torch.set_num_threads(threads)
    _log_epochs()
    sections.get(section).sweep.run(cfg, profile, progress=False)
    return cfg


def _log_epochs() -> None:
    """A job's progress in its log: one line per training epoch (reprolib.train), with the time of day."""
    logger = logging.getLogger("reprolib.train")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", datefmt="%H:%M:%S"))
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)


def _run_local(section: str, todo: list[Outcome], profile: str, workers: int, threads: int) -> None:
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(_one, section, o.config, profile, threads): o for o in todo}
        for fut in tqdm(as_completed(futures), total=len(futures), desc=f"sweep {section}"):
            o = futures[fut]
            try:
                fut.result()
                o.status = "done"
            except Exception as exc:  # noqa: BLE001 - one failed configuration must not stop the others
                o.status, o.error = "failed", f"{type(exc).__name__}: {exc}"


# ---- submitit: Slurm jobs, or the same jobs as local processes ----------------------------------------------------

def _job_env() -> dict[str, str]:
    """The settings a job needs to use this process's records store, checkpoints and data."""
    env = {k: v for k, v in os.environ.items() if k.startswith("REPROLIB_")}
    env.update(REPROLIB_RESULTS=str(results_dir().resolve()), REPROLIB_ARTIFACTS=str(artifacts_dir().resolve()),
               REPROLIB_DATA=str(data_dir().resolve()))
    return env


@contextlib.contextmanager
def _job_process_group():
    """In a job of several processes (submitit tasks): the ``torchrun`` set-up of ``python -m reprolib compute``
    (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR/PORT from Slurm; nccl with one GPU per process, gloo on CPU)."""
    import submitit

    if submitit.JobEnvironment().num_tasks <= 1:
        yield
        return
    submitit.helpers.TorchDistributedEnvironment().export(set_cuda_visible_devices=False, overwrite=True)
    with process_group():
        yield


class SweepJob:
    """What a submitit job runs: one configuration of a section's grid, stored through the records store.

    Its ``checkpoint`` method (submitit's protocol) makes a pre-empted or timed-out job requeue itself with the
    same arguments; the training then resumes from its checkpoint."""

    def __call__(self, section: str, cfg: dict, profile: str, env: dict[str, str], threads: int | None) -> str:
        os.environ.update(env)
        if threads:
            torch.set_num_threads(threads)
        _log_epochs()
        h = results.config_hash(cfg)
        print(f"reprolib sweep: {section} at profile {profile}, configuration {h[:16]}, records in {results_dir()}",
              flush=True)
        with _job_process_group():
            sections.get(section).sweep.run(cfg, profile, progress=False)
            if results.world()[0] == 0:
                print(f"reprolib sweep: configuration {h[:16]} stored", flush=True)
        return h

    def checkpoint(self, *args, **kwargs):
        import submitit

        return submitit.helpers.DelayedSubmission(self, *args, **kwargs)


def default_log_dir(section: str, profile: str) -> Path:
    return artifacts_dir() / "jobs" / f"{section.replace('/', '.')}@{profile}"


def _executor(kind: str, section: str, log_dir: Path, options: JobOptions):
    import submitit

    if kind == "slurm" and not (shutil.which("sbatch") and shutil.which("srun")):
        raise ConfigError("--executor slurm needs Slurm's sbatch and srun on the PATH: run the sweep on a login node "
                          "of the cluster (or use --executor submitit-local to try the same jobs here)")
    ex = submitit.AutoExecutor(folder=log_dir, cluster="slurm" if kind == "slurm" else "local")
    params = {"name": f"reprolib-{section.replace('/', '.')}", "timeout_min": int(options.time_min),
              "tasks_per_node": options.processes, "cpus_per_task": options.cpus_per_process,
              "gpus_per_node": options.gpus_per_job or None, "stderr_to_stdout": True}
    if kind == "slurm":
        params.update(mem_gb=options.mem_gb, slurm_partition=options.partition,
                      slurm_additional_parameters=dict(options.slurm_args) or None)
    ex.update_parameters(**params)
    return ex


def _read_index(log_dir: Path) -> dict:
    path = log_dir / "jobs.json"
    return json.loads(path.read_text()) if path.exists() else {}


def _in_flight(kind: str, log_dir: Path, job_id: str | None) -> bool:
    """Whether the Slurm job that was last submitted for a configuration is still queued or running."""
    if kind != "slurm" or not job_id:
        return False
    import submitit

    state = submitit.SlurmJob(folder=log_dir, job_id=job_id).get_info(mode="force").get("State") or "UNKNOWN"
    return state.split()[0].upper() in _IN_FLIGHT  # "CANCELLED by 123" -> CANCELLED


def _summary(exc: BaseException) -> str:
    """The line of a job's error that says what went wrong (submitit wraps it in its traceback and logs)."""
    from submitit.core.utils import FailedJobError

    text = str(exc)
    if not isinstance(exc, FailedJobError):  # UncompletedJobError, no result at all: the process was killed
        state = re.search(r"\(state: ([^)]*)\)", text)
        return (f"killed, pre-empted or out of time before it finished (state {state.group(1) if state else '?'}); "
                "its log says more")
    parts = text.split("-" * 22)  # FailedJobError: "...trace:\n----\n<traceback>\n----\n..."
    lines = [ln.strip() for ln in (parts[1] if len(parts) >= 3 else text).splitlines() if ln.strip()]
    return (lines[-1] if lines else type(exc).__name__)[:300]


def _finish(section: str, o: Outcome, job, profile: str) -> None:
    exc = job.exception()
    if exc is not None:
        o.status, o.error = "failed", _summary(exc)
    elif _spec(section).stored is not None and not is_stored(section, o.config, profile):
        o.status, o.error = "failed", "the job ended but its configuration is not stored"
    else:
        o.status = "done"


def _run_submitit(section: str, todo: list[Outcome], profile: str, kind: str, log_dir: Path, options: JobOptions,
                  workers: int, wait: bool, threads: int | None, report: Callable[[str], None]) -> None:
    ex = _executor(kind, section, log_dir, options)
    env = _job_env()
    index = _read_index(log_dir)
    queue, running = list(todo), {}
    # On Slurm every job is submitted at once (the scheduler decides); locally, ``workers`` run at a time.
    window = len(queue) if kind == "slurm" or not wait else max(1, workers)
    bar = tqdm(total=len(queue), desc=f"sweep {section}", disable=not wait)
    try:
        while queue or running:
            while queue and len(running) < window:
                o = queue.pop(0)
                try:
                    job = ex.submit(SweepJob(), section, o.config, profile, env, threads)
                except Exception as exc:  # noqa: BLE001 - e.g. sbatch refusing an option: said in the table
                    lines = [ln for ln in str(exc).splitlines() if ln.strip()] or [type(exc).__name__]
                    o.status, o.error = "failed", f"not submitted: {lines[-1].strip()[:300]}"
                    report(f"failed {o.label}: {o.error}")
                    continue
                if kind != "slurm":  # a local job that left no result never will (submitit waits 15 s for slow disks)
                    job._results_timeout_s = 2
                o.status, o.job, o.job_id, o.log = "submitted", job, str(job.job_id), Path(job.paths.stdout)
                index[results.config_hash(o.config)] = {"job_id": o.job_id, "executor": kind, "label": o.label}
                results.atomic_write_json(log_dir / "jobs.json", index)
                report(f"submitted {o.label}: job {o.job_id}, log {o.log}")
                running[o.job_id] = (o, job)
            if not wait:
                break
            for job_id, (o, job) in list(running.items()):
                if job.done():
                    _finish(section, o, job, profile)
                    del running[job_id]
                    bar.update()
                    report(f"{o.status} {o.label}: job {o.job_id}" + (f" ({o.error})" if o.error else ""))
            if running:
                time.sleep(1.0 if kind != "slurm" else 15.0)
    except KeyboardInterrupt:
        report(f"interrupted: {len(running)} submitted jobs keep running (logs above), {len(queue)} configurations "
               "were not submitted; run the same sweep again to collect them")
        raise
    finally:
        bar.close()


# ---- the one entry point -----------------------------------------------------------------------------------------

def run_sweep(section: str, cfg: dict, profile: str, *, executor: str = "local", workers: int = 2,
              threads_per_worker: int = 1, options: JobOptions | None = None, log_dir: str | Path | None = None,
              wait: bool = True, report: Callable[[str], None] | None = None) -> list[Outcome]:
    """Every configuration of ``section``'s grid that is not stored yet, through ``executor``.

    ``local`` runs them in ``workers`` processes of ``threads_per_worker`` torch threads; ``slurm`` submits one
    job per configuration (``options``: partition, GPUs, time, memory, CPUs); ``submitit-local`` runs the same
    jobs as local processes, ``workers`` at a time. Configurations already stored are skipped, and so are those
    whose Slurm job is still queued or running. ``wait=False`` (submitit executors) returns once the jobs are
    submitted. ``report`` receives one line per submitted and finished job (where its log is). Returns one
    :class:`Outcome` per configuration, in grid order (:func:`table` formats them)."""
    if executor not in EXECUTORS:
        raise ConfigError(f"executor '{executor}' unknown; known: {', '.join(EXECUTORS)}")
    if executor == "local" and not wait:
        raise ConfigError("not waiting for the jobs needs a submitit executor (slurm or submitit-local)")
    if workers < 1:
        raise ConfigError(f"workers={workers} must be >= 1")
    spec = _spec(section)
    options = options or JobOptions()
    log_dir = Path(log_dir) if log_dir else default_log_dir(section, profile)
    index = _read_index(log_dir) if executor != "local" else {}
    outcomes, todo = [], []
    for point in spec.points(cfg):
        one = {**cfg, **point}
        o = Outcome(label=_label(point), config=one, status="to run")
        last = index.get(results.config_hash(one), {})
        if spec.stored is not None and spec.stored(one, profile):
            o.status = "skipped"
        elif last.get("executor") == executor and _in_flight(executor, log_dir, last.get("job_id")):
            o.status, o.job_id = "in flight", last["job_id"]
            o.log = Path(log_dir) / f"{o.job_id}_0_log.out"
        else:
            todo.append(o)
        outcomes.append(o)
    report = report or (lambda line: None)
    if todo and executor == "local":
        _run_local(section, todo, profile, workers, threads_per_worker)
    elif todo:
        threads = options.cpus_per_process or (threads_per_worker if executor == "submitit-local" else None)
        _run_submitit(section, todo, profile, executor, log_dir, options, workers, wait, threads, report)
    return outcomes


def status(section: str, cfg: dict, profile: str) -> str:
    """Where every network of ``section``'s grids stands at ``profile`` (:meth:`reprolib.grid.MethodGrid.progress`),
    one line each, then the counts: what a session starts from."""
    rows = [r for method_grid, c in _spec(section).grid_settings(cfg) for r in method_grid.progress(c, profile)]
    if not rows:
        return "no networks: the grid is empty for these settings"
    head = {k: k for k in rows[0]}
    widths = {k: max(len(str(r[k])) for r in [head, *rows]) for k in head}
    lines = ["  ".join(str(r[k]).ljust(widths[k]) for k in head).rstrip() for r in [head, *rows]]
    done = sum(r["record"] == "stored" and "to do" not in (r["audit"], r["weights"]) for r in rows)
    return "\n".join(lines + [f"{done} of {len(rows)} networks done at {profile}"])


def table(outcomes: list[Outcome]) -> str:
    """The final table of a sweep: one line per configuration (status, job, log or error), then the counts."""
    if not outcomes:
        return "no configurations: the grid is empty for these settings"
    rows = [("configuration", "status", "job", "log / error")]
    for o in outcomes:
        detail = o.error or (str(o.log) if o.log else ("already stored" if o.status == "skipped" else ""))
        rows.append((o.label, o.status, o.job_id or "-", detail))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r[:3], widths)) + "  " + r[3] for r in rows]
    counts: dict[str, int] = {}
    for o in outcomes:
        counts[o.status] = counts.get(o.status, 0) + 1
    lines.append(", ".join(f"{n} {s}" for s, n in counts.items()))
    return "\n".join(lines)
