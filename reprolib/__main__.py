"""Command line: ``python -m reprolib {data,run,sections} ...``.

* ``python -m reprolib data fetch mnist fashion_mnist``: cache datasets (offline sources here).
* ``python -m reprolib run closer_look/separation --profile smoke -p n_test=100``: execute a section's
  notebook with papermill (parameters parsed as YAML values) into ``book/executed/``.
* ``python -m reprolib compute closer_look/table2 --profile cpu``: the same computation as the notebook,
  with progress bars (for long background runs; the notebook then reuses the stored result).
* ``python -m reprolib sweep closer_look/table2 --profile cpu --workers 2``: a section's grid in parallel
  processes; ``--executor slurm --partition gpu --gpus-per-job 1`` submits one Slurm job per configuration
  (``reprolib.sweep``). Prints each job's log and a final table of done / failed / skipped configurations.
* ``python -m reprolib sections``: list the sections and their parameters.
"""
from __future__ import annotations

import argparse
import contextlib
import sys

from .errors import ReproError


def _parse_params(pairs: list[str]) -> dict:
    import yaml

    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ReproError(f"parameter '{pair}' must look like key=value")
        try:
            out[key] = yaml.safe_load(value)
        except yaml.YAMLError as exc:
            where = getattr(exc, "problem", None) or "not a YAML value"
            raise ReproError(f"parameter '{key}': {value!r} is not a valid value ({where}); e.g. -p 'methods=[AT]', "
                             f"-p n_train=1000, -p eps=0.1") from None
    return out


@contextlib.contextmanager
def _process_group():
    """Under ``torchrun`` (WORLD_SIZE > 1): the block inside the process group (``parallel.process_group``); yields
    the rank. Training then runs DistributedDataParallel; evaluation runs on every process; rank 0 writes results."""
    import os

    import torch.distributed as dist

    from .parallel import process_group

    if int(os.environ.get("WORLD_SIZE", "1")) <= 1 or dist.is_initialized():
        yield dist.get_rank() if dist.is_initialized() else 0
        return
    with process_group() as rank:
        yield rank


def _record_times() -> dict:
    """Every stored record's modification time (to tell, afterwards, which records a run wrote)."""
    from .paths import results_dir

    return {p: p.stat().st_mtime_ns for p in results_dir().rglob("*.json")}


def _summary(section: str, profile: str, params: dict, before: dict) -> str:
    """What a rerun did: the parameters it changed from the profile's values, and the records it wrote."""
    from .paths import results_dir
    from .profiles import resolve

    from dataclasses import fields

    from .sections import get

    # a setting added after records were stored (``since``) is left out of the profile's values at its default
    base = {**{f.name: f.default for f in fields(get(section).settings)}, **resolve(section, profile)}
    changed = [f"{k}={v!r} (profile: {base.get(k)!r})" for k, v in resolve(section, profile, **params).items()
               if base.get(k) != v]
    written = sorted(str(p.relative_to(results_dir())) for p in results_dir().rglob("*.json")
                     if before.get(p) != p.stat().st_mtime_ns)
    return (f"{section} at {profile}: " + (f"changed {', '.join(changed)}" if changed else "the profile's settings")
            + f"; records written under {results_dir()}: " + (", ".join(written) if written else
                                                                 "none (every record reused)"))


def _parameter_table(section: str) -> str:
    """Each parameter of ``section``: type, allowed values, meaning, then its value under each profile."""
    from .profiles import PROFILES, table

    rows = table(section)
    if not rows:
        return f"{section}: no parameters (it reads other sections' records)"
    out = [f"{section}: set any of these with -p KEY=VALUE (run, compute, sweep) or papermill -p KEY VALUE"]
    for row in rows:
        allowed = f"; {row['allowed']}" if row["allowed"] else ""
        out.append(f"  {row['name']} ({row['type']}{allowed}): {row['doc']}")
        out.append("      " + "  ".join(f"{p}={row[p]!r}" for p in PROFILES if p in row))
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="reprolib", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p_data = sub.add_parser("data", help="fetch and cache datasets")
    p_data.add_argument("action", choices=["fetch"])
    p_data.add_argument("names", nargs="+")
    p_run = sub.add_parser("run", help="execute a section's notebook with papermill")
    p_run.add_argument("section")
    p_run.add_argument("--profile", default="cpu",
                       help="smoke, cpu, full, paper, or published: full where the section's full record is "
                            "complete, else cpu (what make book shows)")
    p_run.add_argument("-p", "--param", action="append", default=[], metavar="KEY=VALUE")
    p_run.add_argument("--recompute", action="store_true", help="ignore stored results")
    p_run.add_argument("--out", default=None,
                       help="executed notebook path (default runs/notebooks/<section>@<profile>.ipynb)")
    p_run.add_argument("--publish", action="store_true",
                       help="write the book's page (book/executed/<section>.ipynb) instead of a scratch copy")
    p_comp = sub.add_parser("compute", help="compute a section's results without a notebook (progress bars)")
    p_comp.add_argument("section")
    p_comp.add_argument("--profile", default="cpu")
    p_comp.add_argument("-p", "--param", action="append", default=[], metavar="KEY=VALUE")
    p_comp.add_argument("--recompute", action="store_true")
    p_sweep = sub.add_parser("sweep", help="a section's grid in worker processes or as Slurm jobs")
    p_sweep.add_argument("section", nargs="?", default="closer_look/table2")
    p_sweep.add_argument("--profile", default="cpu")
    p_sweep.add_argument("-p", "--param", action="append", default=[], metavar="KEY=VALUE")
    p_sweep.add_argument("--executor", choices=["local", "slurm", "submitit-local"], default="local",
                         help="local: a process pool here; slurm: one job per configuration (submitit); "
                              "submitit-local: the same jobs as local processes")
    p_sweep.add_argument("--workers", type=int, default=2, help="processes at a time (local executors)")
    p_sweep.add_argument("--threads-per-worker", type=int, default=1)
    p_sweep.add_argument("--partition", help="Slurm partition")
    p_sweep.add_argument("--gpus-per-job", type=int, default=0,
                         help="GPUs per job; more than one trains with one process per GPU (DDP)")
    p_sweep.add_argument("--time-min", type=int, default=24 * 60, help="time limit of a job in minutes")
    p_sweep.add_argument("--mem-gb", type=float, help="memory per job (Slurm --mem)")
    p_sweep.add_argument("--cpus-per-job", type=int, help="CPUs per job, split between its processes")
    p_sweep.add_argument("--slurm-arg", action="append", default=[], metavar="KEY=VALUE",
                         help="any other #SBATCH option, e.g. account=abc or qos=high")
    p_sweep.add_argument("--log-dir", help="job folder: logs, pickles (default artifacts/jobs/<section>@<profile>)")
    p_sweep.add_argument("--status", action="store_true",
                         help="run nothing: say where each network stands (record, audit, kept weights, the epoch "
                              "its checkpoint reached)")
    p_sweep.add_argument("--no-wait", action="store_true",
                         help="return once submitted; rerun the same command later for the table")
    p_sec = sub.add_parser("sections", help="list sections, or one section's parameters with types and values")
    p_sec.add_argument("section", nargs="?")
    p_sec.add_argument("--cell", action="store_true", help="print the section's notebook parameters cell")
    args = parser.parse_args(argv)
    try:
        if args.cmd == "data":
            from . import data

            for name in args.names:
                data.fetch(name)
                print(f"{name}: cached in {data.data_dir() / name}")
        elif args.cmd == "sections":
            from . import pipeline, profiles, sections

            if args.section is None:
                for s in sections.names():
                    print(f"{s}: {', '.join(profiles.parameters(s)) or '(no parameters)'}")
            elif args.cell:
                print(pipeline.parameters_cell(args.section))
            else:
                print(_parameter_table(args.section))
        elif args.cmd == "sweep":
            from . import profiles, sweep

            cfg = profiles.resolve(args.section, args.profile, **_parse_params(args.param))
            if args.status:
                print(sweep.status(args.section, cfg, args.profile))
                return 0
            slurm_args = {}
            for pair in args.slurm_arg:
                key, sep, value = pair.partition("=")
                if not sep or not key:
                    raise ReproError(f"--slurm-arg '{pair}' must look like key=value")
                slurm_args[key] = value
            options = sweep.JobOptions(partition=args.partition, gpus_per_job=args.gpus_per_job,
                                       time_min=args.time_min, mem_gb=args.mem_gb, cpus_per_job=args.cpus_per_job,
                                       slurm_args=slurm_args)
            outcomes = sweep.run_sweep(args.section, cfg, args.profile, executor=args.executor, workers=args.workers,
                                       threads_per_worker=args.threads_per_worker, options=options,
                                       log_dir=args.log_dir, wait=not args.no_wait, report=print)
            print(sweep.table(outcomes))
            if outcomes and all(o.status in ("done", "skipped") for o in outcomes):
                print(f"every configuration is stored: a notebook or `compute` run of {args.section} with the same "
                      "parameters merges them")
            if any(o.status == "failed" for o in outcomes):
                return 1
        elif args.cmd == "compute":
            from . import profiles, sections

            run = sections.get(args.section).run
            if run is None:
                raise ReproError(f"section '{args.section}' only reads other sections' results")
            params = _parse_params(args.param)
            cfg = profiles.resolve(args.section, args.profile, **params)
            before = _record_times()
            with _process_group() as rank:
                for artifact, rec in run(cfg, args.profile, args.recompute).items():
                    if rank == 0:
                        print(f"{artifact}: {'reused' if rec['reused'] else 'computed'}, {len(rec['rows'])} rows")
            if rank == 0:
                print(_summary(args.section, args.profile, params, before))
        else:
            from . import pipeline

            params = _parse_params(args.param)
            if args.profile == "published":  # the budget the book shows: full where its record is complete
                from .profiles import published

                args.profile = published(args.section)
            before = _record_times()
            out = pipeline.execute(args.section, profile=args.profile, params=params, recompute=args.recompute,
                                   out=args.out, publish=args.publish, progress=sys.stderr.isatty())
            print(_summary(args.section, args.profile, params, before))
            print(f"executed {args.section} ({args.profile}) -> {out}")
    except ReproError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
