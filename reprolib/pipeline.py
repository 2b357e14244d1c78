"""Text notebook -> papermill run -> executed notebook for the book (and for nbval in the tests).

``notebooks/<paper>/<section>.md`` (MyST jupytext) is converted to ipynb, executed by papermill with
``profile`` and parameter overrides injected, and written to ``book/executed/<paper>/<section>.ipynb``
(the book's toc points there; the folder is a build product, not committed).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .errors import ConfigError, ReproError
from .paths import REPO_ROOT
from .profiles import PROFILES, parameters
from .sections import names as sections
from .sections import registry

NOTEBOOKS = REPO_ROOT / "notebooks"
EXECUTED = REPO_ROOT / "book" / "executed"  # the published pages (``run --publish``, the Makefile)
SCRATCH = REPO_ROOT / "runs" / "notebooks"  # a rerun's executed notebook, unless it is published


def notebook_path(section: str) -> Path:
    path = NOTEBOOKS / f"{section}.md"
    if not path.exists():
        raise ConfigError(f"unknown section '{section}'; known: {', '.join(all_sections())}")
    return path


def all_sections() -> list[str]:
    """Sections with a notebook, in the registry's order: the book-wide pages (which read the others' results)
    last."""
    have = {str(p.relative_to(NOTEBOOKS).with_suffix("")) for p in NOTEBOOKS.rglob("*.md")}
    return [s for s in sections() if s in have]


def _logged_kernels(log):
    """A kernel manager class whose kernels write their own stderr to ``log`` (``start_kernel`` passes Popen
    arguments on to the kernel's process, as jupyter_client documents)."""
    from jupyter_client.manager import AsyncKernelManager

    class LoggedKernelManager(AsyncKernelManager):
        async def start_kernel(self, **kw):
            return await super().start_kernel(**{"stderr": log, **kw})

    return LoggedKernelManager


def to_ipynb(section: str, dest: Path) -> Path:
    import jupytext

    nb = jupytext.read(notebook_path(section))
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    dest.parent.mkdir(parents=True, exist_ok=True)
    jupytext.write(nb, dest)
    return dest


def execute(section: str, *, profile: str = "cpu", params: dict[str, Any] | None = None, recompute: bool = False,
            out: str | Path | None = None, prepare_only: bool = False, publish: bool = False,
            progress: bool = False) -> Path:
    """Run one section's notebook with papermill; returns the executed notebook's path: ``out``, else the book's
    page (``book/executed/<section>.ipynb``) when ``publish``, else a scratch copy
    (``runs/notebooks/<section>@<profile>.ipynb``), so that a rerun never replaces a published page unasked.
    ``progress``: papermill's bar over the notebook's cells."""
    import papermill as pm

    if profile not in PROFILES:
        raise ConfigError(f"unknown profile '{profile}'; choose from {', '.join(PROFILES)}")
    from .profiles import resolve

    resolve(section, profile, **(params or {}))  # fail fast, with a clear message, before starting a kernel
    out = Path(out) if out else EXECUTED / f"{section}.ipynb" if publish else SCRATCH / f"{section}@{profile}.ipynb"
    src = to_ipynb(section, out.with_suffix(".src.ipynb"))
    parameters = {"profile": profile, "recompute": recompute, **(params or {})}
    kernel_log = out.with_suffix(".kernel.log")
    try:
        with open(kernel_log, "w") as log:
            pm.execute_notebook(str(src), str(out), parameters=parameters, kernel_name="python3", cwd=str(out.parent),
                                prepare_only=prepare_only, progress_bar=progress,
                                log_output=bool(os.environ.get("CI")), kernel_manager_class=_logged_kernels(log),
                                extra_arguments=["--IPKernelApp.log_level=CRITICAL"])
        # The kernel process's own stderr (its start-up chatter, and the races of its shut-down: SIGINT inside a
        # message handler, a ZMQ socket closed under a flush, logged by tornado) goes to a log file beside the
        # notebook, kept only when the run fails: it broke the one-line error contract in CI. Cell errors are
        # unaffected: they reach us as PapermillExecutionError and stay, in full, in the executed notebook.
    except pm.PapermillExecutionError as exc:
        # One line for the reader: the library's own message when it raised one, and where the partly executed
        # notebook (with the full traceback) is. Results are written atomically, so none is half-written.
        raise ReproError(f"{section}: {_one_line(exc)} (partly executed notebook: {out})") from None
    else:
        kernel_log.unlink(missing_ok=True)
    finally:
        src.unlink(missing_ok=True)
    if not prepare_only:
        _hide_injected_parameters(out)
    return out


def parameters_cell(section: str, width: int = 88) -> str:
    """The body of ``section``'s notebook parameters cell: ``profile``, ``recompute`` and every setting of the
    section, one per line (papermill reads the cell line by line), each ``None`` (the profile's value) with its type
    and meaning (allowed values: ``sections SECTION``). A test keeps every notebook's cell naming exactly these; ``python -m reprolib sections
    SECTION --cell`` prints it."""
    lines = ['profile = "cpu"  # ' + " | ".join(f'"{p}"' for p in PROFILES), "recompute = False  # True: ignore stored results",
             "# the section's settings; None: the profile's value",
             f"# (every value per profile: python -m reprolib sections {section})"]
    for row in registry()[section].settings.describe():
        doc = row["doc"].replace("=", ":")  # papermill reads a comment with '=' as part of the value
        line = f"{row['name']} = None  # {row['type']}: {doc}"
        lines.append(line if len(line) <= width else line[:width - 1] + "…")
    return "\n".join(lines)


def after(section: str, among: list[str]) -> set[str]:
    """The sections of ``among`` whose records ``section``'s notebook reads, so must be executed before it: those
    it names in ``reads``; every computing one for a page without a computation of its own."""
    reg = registry()
    if reg[section].run is None:
        return {s for s in among if reg[s].run is not None}
    return set(reg[section].reads) & set(among)


def execute_all(names: list[str], *, profile: str, out_dir: str | Path, workers: int = 1) -> list[Path]:
    """Execute the notebooks of ``names`` into ``out_dir/<section>.ipynb``, ``workers`` kernels at a time, each
    started once the sections it reads (:func:`after`) are done; the first failure is raised once the running
    ones have finished. With ``workers`` 1 it is :func:`execute` in the given order."""
    from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

    if not isinstance(workers, int) or workers < 1:
        raise ConfigError(f"workers={workers!r} must be an integer >= 1")
    out_dir, pending, running, done = Path(out_dir), list(names), {}, set()
    with ThreadPoolExecutor(workers) as pool:
        while pending or running:
            for s in [s for s in pending if after(s, names) <= done][:workers - len(running)]:
                pending.remove(s)
                running[pool.submit(execute, s, profile=profile, out=out_dir / f"{s}.ipynb")] = s
            if not running:
                raise ConfigError(f"sections {pending} read each other: no order executes them")
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                done.add(running.pop(future))
                if future.exception() is not None:
                    pending.clear()  # start nothing more; let the running ones finish, then raise
                    wait(running)
                    raise future.exception()
    return [out_dir / f"{s}.ipynb" for s in names]


def _one_line(exc) -> str:
    """A failed cell's error as one line: a ReproError's message as it is, any other error with its type."""
    value = " ".join(str(exc.evalue).split())
    return value if exc.ename in _REPRO_ERRORS else f"{exc.ename}: {value}"


_REPRO_ERRORS = {c.__name__ for c in (ReproError, *ReproError.__subclasses__())}


def _hide_injected_parameters(path: Path) -> None:
    """The book shows the notebook's own parameters cell and the resolved settings table; papermill's
    injected copy of the overrides is kept in the notebook but not rendered."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if "injected-parameters" in tags and "remove-cell" not in tags:
            cell.metadata["tags"] = [*tags, "remove-cell"]
    nbformat.write(nb, path)
