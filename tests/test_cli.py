"""The command line as a new user meets it: a section that fails inside its notebook ends with the library's
one-line error, the path of the partly executed notebook and a non-zero exit, and writes no result."""
import os
import subprocess
import sys


def test_failing_section_ends_with_one_line_error_and_the_notebook_path(tmp_path):
    corrupt = tmp_path / "mnist.pkl.gz"
    corrupt.write_bytes(b"not a gzip file")
    env = {**os.environ, "REPROLIB_MNIST_PKL": str(corrupt), "REPROLIB_DATA": str(tmp_path / "data"),
           "REPROLIB_RESULTS": str(tmp_path / "results")}
    out = tmp_path / "executed" / "separation.ipynb"
    proc = subprocess.run([sys.executable, "-m", "reprolib", "run", "closer_look/separation", "--profile", "smoke",
                           "-p", "datasets=[mnist]", "--out", str(out)], capture_output=True, text=True, env=env)
    assert proc.returncode == 2, proc.stderr[-2000:]
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr[-3000:]
    assert "corrupt MNIST source file" in lines[0] and str(out) in lines[0] and "Traceback" not in lines[0]
    assert out.exists()  # the partly executed notebook, with the full traceback, for whoever wants it
    assert not list((tmp_path / "results").rglob("*.json"))


def test_sections_lists_every_registered_section():
    from reprolib import sections

    proc = subprocess.run([sys.executable, "-m", "reprolib", "sections"], capture_output=True, text=True)
    assert proc.returncode == 0
    assert [line.split(":")[0] for line in proc.stdout.splitlines()] == sections.names()


def test_sweep_rejects_a_section_without_a_grid():
    proc = subprocess.run([sys.executable, "-m", "reprolib", "sweep", "cake/tsipras", "--profile", "smoke"],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "no grid" in proc.stderr
