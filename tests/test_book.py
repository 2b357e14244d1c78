"""The notebooks at the smoke profile (papermill, then nbval), the book build (-W), and a browser check."""
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from reprolib import pipeline
from reprolib.errors import ConfigError

SECTIONS = pipeline.all_sections()


@pytest.mark.notebooks
@pytest.mark.parametrize("section", SECTIONS)
def test_notebook_executes_under_nbval(smoke_book, section):
    nb = smoke_book / "book" / "executed" / f"{section}.ipynb"
    proc = subprocess.run([sys.executable, "-m", "pytest", "--nbval-lax", "-q", "-p", "no:cacheprovider", str(nb)],
                          cwd=nb.parent, capture_output=True, text=True, env=os.environ.copy())
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]


@pytest.mark.notebooks
def test_every_notebook_has_a_parameters_cell_with_profile():
    import jupytext

    for section in SECTIONS:
        nb = jupytext.read(pipeline.notebook_path(section))
        params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(params) == 1 and re.search(r"^profile = ", params[0].source, re.M), section


def test_pipeline_rejects_bad_input(tmp_path):
    with pytest.raises(ConfigError, match="unknown profile 'gpu'"):
        pipeline.execute("closer_look/separation", profile="gpu", out=tmp_path / "x.ipynb")
    with pytest.raises(ConfigError, match="eps=-1"):
        pipeline.execute("closer_look/table2", profile="smoke", params={"eps": -1}, out=tmp_path / "x.ipynb")
    with pytest.raises(ConfigError, match="unknown section"):
        pipeline.execute("closer_look/nothing", profile="smoke", out=tmp_path / "x.ipynb")


def test_cli_reports_bad_parameters_in_one_line():
    proc = subprocess.run([sys.executable, "-m", "reprolib", "run", "closer_look/table2", "--profile", "smoke",
                           "-p", "eps=-0.2"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "eps=-0.2" in proc.stderr


@pytest.fixture(scope="session")
def built_book(smoke_book):
    jb = str(Path(sys.executable).parent / "jupyter-book")
    proc = subprocess.run([jb, "build", str(smoke_book), "-W", "--keep-going",
                           "--quiet"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    return smoke_book / "_build" / "html"


PAGES = {  # page -> what it must contain
    "book/intro.html": [],
    "book/executed/scorecard.html": ["table"],
    "book/executed/closer_look/separation.html": ["table", "img"],
    "book/executed/closer_look/existence.html": ["table", "img"],
    "book/executed/closer_look/table2.html": ["table", "img"],
    "book/executed/closer_look/dropout.html": ["table"],
    "book/executed/closer_look/table3.html": ["table"],
    "book/executed/spatial/theory.html": ["table", "img"],
    "book/executed/cake/tsipras.html": ["table", "img"],
    "book/closer_look/index.html": [],
    "book/trades/index.html": [],
    "book/spatial/index.html": [],
    "book/cake/index.html": [],
}


WITH_MATH = ["book/executed/closer_look/table2.html", "book/closer_look/index.html", "book/spatial/index.html"]


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.srcs, self.hrefs, self.text = [], [], [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        if tag == "img":
            self.srcs.append(a.get("src", ""))
        if tag == "a" and a.get("href"):
            self.hrefs.append(a["href"])

    def handle_data(self, data):
        self.text.append(data)


@pytest.mark.parametrize("page", PAGES)
def test_built_page_has_content_and_no_raw_roles_or_broken_links(built_book, page):
    path = built_book / page
    assert path.exists(), page
    c = _Collector()
    c.feed(path.read_text())
    for tag in PAGES[page]:
        assert tag in c.tags, f"{page} lacks <{tag}>"
    text = "".join(c.text)
    raw = re.findall(r"\{(?:glue:\w+|prf:\w+|doc|cite(?::\w)?|eq|ref)\}`", text)
    assert not raw, f"raw MyST roles on {page}: {raw[:3]}"
    for src in c.srcs:
        if not src.startswith("data:"):
            assert (path.parent / src).resolve().exists(), f"broken image {src} on {page}"
    for href in c.hrefs:
        if not re.match(r"^(https?:|mailto:|#|data:)", href):
            target = (path.parent / href.split("#")[0]).resolve()
            assert target.exists(), f"broken link {href} on {page}"


@pytest.mark.browser
def test_pages_render_in_headless_chromium(built_book, session_tmp):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("Chromium is not installed: `apt-get install chromium` (make test installs it as root)")
    shots = session_tmp / "screenshots"
    shots.mkdir(exist_ok=True)
    for page in PAGES:
        png = shots / (page.replace("/", "_") + ".png")
        proc = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                               "--no-first-run", "--disable-background-networking", "--disable-component-update",
                               "--disable-sync", f"--user-data-dir={session_tmp / 'chromium'}", "--hide-scrollbars",
                               f"--screenshot={png}", "--window-size=1280,1600",
                               (built_book / page).as_uri()], capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0 and png.exists() and png.stat().st_size > 20_000, (page, proc.stderr[-500:])
        dom = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                              f"--user-data-dir={session_tmp / 'chromium'}", "--virtual-time-budget=10000",
                              "--dump-dom", (built_book / page).as_uri()], capture_output=True, text=True,
                             timeout=120).stdout
        assert "<main" in dom or "bd-article" in dom, page
        if page in WITH_MATH:  # typeset by the MathJax served with the book (no network needed)
            assert "<mjx-container" in dom, f"formulas not typeset on {page}"
