"""The notebooks at the smoke profile (papermill), the book build (-W), and browser checks: every page
renders in headless Chromium, and nothing on it overflows the article column unseen."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest

from reprolib import pipeline
from reprolib.errors import ConfigError

SECTIONS = pipeline.all_sections()
# One worker builds the smoke book (a session fixture) and runs every test that reads it, the other runs the rest:
# pytest runs with `--dist loadfile` (pyproject.toml), which sends a file's tests to one worker. (`loadgroup` and an
# `xdist_group` mark did the same until pytest 9 made an item's node id read-only to pytest-xdist 3.8: the mark
# then grouped nothing, and both workers built the whole smoke book.)


@pytest.mark.notebooks
@pytest.mark.parametrize("section", SECTIONS)
def test_notebook_executed_every_cell_without_an_error(smoke_book, section):
    """Each smoke notebook, as the book publishes it: every code cell ran, in order, and none left an error. (It
    used to be run a second time under nbval, which checked nothing more and cost every notebook again.)"""
    nb = json.loads((smoke_book / "book" / "executed" / f"{section}.ipynb").read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code" and c["source"]]
    counts = [c.get("execution_count") for c in code]
    assert None not in counts and counts == sorted(counts), f"{section}: cells not all executed in order: {counts}"
    errors = [o for c in code for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, f"{section}: {errors[0].get('ename')}: {errors[0].get('evalue')}"


@pytest.mark.notebooks
def test_every_notebook_has_a_parameters_cell_with_profile():
    import jupytext

    for section in SECTIONS:
        nb = jupytext.read(pipeline.notebook_path(section))
        params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(params) == 1 and re.search(r"^profile = ", params[0].source, re.M), section
        for line in params[0].source.splitlines():  # papermill cannot parse a parameter whose comment has "="
            assert "=" not in line.partition("#")[2], f"{section}: '=' in the comment of {line!r}"


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
    "book/executed/scorecard.html": ["table", "img"],
    "book/executed/audits.html": ["table"],
    "book/executed/costs.html": ["table"],
    "book/executed/closer_look/separation.html": ["table", "img"],
    "book/executed/closer_look/existence.html": ["table", "img"],
    "book/executed/closer_look/table2.html": ["table", "img"],
    "book/executed/closer_look/dropout.html": ["table"],
    "book/executed/closer_look/table3.html": ["table"],
    "book/executed/spatial/theory.html": ["table", "img"],
    "book/executed/cake/tsipras.html": ["table", "img"],
    "book/executed/cake/closing.html": [],
    "book/executed/trades/decomposition.html": ["table", "img"],
    "book/executed/trades/surrogates.html": ["table", "img"],
    "book/executed/trades/algorithm.html": ["table", "img"],
    "book/executed/trades/fig1.html": ["table", "img"],
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


CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
OVERFLOW_CHECK = Path(__file__).with_name("overflow_check.js")
OVERFLOW_WINDOW = (1400, 900)  # desktop layout: both sidebars shown, the article column ~770 px wide
BROWSERS = 2  # Chromium processes at a time: each spends part of its time waiting (start-up, files, virtual time)


@pytest.fixture(scope="session")
def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.skip("Chromium is not installed: `apt-get install chromium` (make test installs it as root)")
    return path


def _inject(page_html: str, snippet: str) -> str:
    head, body, tail = page_html.rpartition("</body>")
    assert body, "no </body> in the page"
    return head + snippet + body + tail


def probe_page(chromium: str, page: Path, *, insert: str = "", style: str = "",
               window: tuple[int, int] = OVERFLOW_WINDOW) -> tuple[str, dict]:
    """Load a copy of ``page`` (beside it, so that its relative links resolve) with the overflow check of
    ``overflow_check.js`` injected, in headless Chromium; return the DOM after MathJax and the check's report
    (``{"column": x, "bad": [...]}``). ``insert``: HTML put first in the article; ``style``: CSS added to the page
    (both for testing the check itself)."""
    text = page.read_text()
    if insert:
        text, n = re.subn(r'(<article class="bd-article"[^>]*>)', lambda m: m.group(1) + insert, text, count=1)
        assert n == 1, f"no article element in {page}"
    snippet = (f"<style>{style}</style>" if style else "") + f"<script>{OVERFLOW_CHECK.read_text()}</script>"
    probe = page.with_name(f"_overflow-probe-{page.name}")
    probe.write_text(_inject(text, snippet))
    try:
        with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
            proc = subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                                   f"--window-size={window[0]},{window[1]}", "--virtual-time-budget=10000",
                                   "--dump-dom", probe.as_uri()], capture_output=True, text=True, timeout=120)
    finally:
        probe.unlink(missing_ok=True)
    found = re.findall(r'<pre id="overflow-report"[^>]*>(.*?)</pre>', proc.stdout, re.S)
    assert found, f"the overflow check did not report on {page}: {proc.stderr[-1500:]}"
    return proc.stdout, json.loads(unescape(found[-1]))


@pytest.fixture(scope="session")
def probed_pages(built_book, chromium) -> dict[str, tuple[str, dict]]:
    """Every page of the book (PAGES and any other page under book/) loaded once in Chromium with the overflow
    check: page -> (DOM, report)."""
    pages = sorted(set(PAGES) | {p.relative_to(built_book).as_posix() for p in (built_book / "book").rglob("*.html")})
    with ThreadPoolExecutor(BROWSERS) as pool:
        return dict(zip(pages, pool.map(lambda page: probe_page(chromium, built_book / page), pages)))


@pytest.mark.browser
def test_pages_render_in_headless_chromium(built_book, session_tmp, chromium, probed_pages):
    shots = session_tmp / "screenshots"
    shots.mkdir(exist_ok=True)

    def shoot(page: str):
        png = shots / (page.replace("/", "_") + ".png")
        proc = subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={shots / (png.stem + '-profile')}",
                               "--hide-scrollbars", f"--screenshot={png}", "--window-size=1280,1600",
                               (built_book / page).as_uri()], capture_output=True, text=True, timeout=120)
        return page, png, proc

    with ThreadPoolExecutor(BROWSERS) as pool:
        shot = list(pool.map(shoot, PAGES))
    for page, png, proc in shot:
        assert proc.returncode == 0 and png.exists() and png.stat().st_size > 20_000, (page, proc.stderr[-500:])
        dom, _ = probed_pages[page]
        assert "<main" in dom or "bd-article" in dom, page
        if page in WITH_MATH:  # typeset by the MathJax served with the book (no network needed)
            assert "<mjx-container" in dom, f"formulas not typeset on {page}"


@pytest.mark.browser
def test_nothing_overflows_the_article_column_unseen(probed_pages):
    """Wide tables and formulas must fit the column or scroll inside it (book/_static/reprolib.css): no box of the
    article may end past the column's right edge, or be clipped, unless a scrolling box holds it."""
    offenders = {page: report["bad"] for page, (_, report) in probed_pages.items() if report["bad"]}
    assert not offenders, "content past the article column, not scrollable:\n" + "\n".join(
        f"{page}: {bad}" for page, items in offenders.items() for bad in items[:5])


@pytest.mark.browser
def test_no_table_needs_horizontal_scrolling(probed_pages):
    """Every table of the book fits the article column at 1400 px: a reader never scrolls sideways to read one
    (wide tables are split by metric or group, spreads written as mean ± sd)."""
    offenders = {page: report["scrolls"] for page, (_, report) in probed_pages.items() if report.get("scrolls")}
    assert not offenders, "tables wider than the column (the reader must scroll):\n" + "\n".join(
        f"{page}: {bad}" for page, items in offenders.items() for bad in items[:5])


CHECKED_PAGE = "book/executed/closer_look/table2.html"


@pytest.mark.browser
def test_overflow_check_catches_wide_and_clipped_content(built_book, chromium):
    """The check itself, on a copy of a real page with deliberately wide content put into its article."""
    insert = ('<div id="too-wide" style="width:3000px">wide</div>'
              '<div id="clipping" style="overflow:hidden;width:200px">'
              '<span id="clipped" style="white-space:nowrap">' + "a long value that does not fit " * 3 + "</span></div>"
              '<div id="scroller" style="overflow-x:auto"><div id="scrolled" style="width:3000px">ok</div></div>'
              '<div style="overflow-x:auto"><table id="wide-table"><tr><td><div style="width:3000px">x</div></td></tr>'
              '</table></div>')
    _, report = probe_page(chromium, built_book / CHECKED_PAGE, insert=insert)
    bad = "\n".join(report["bad"])
    assert "div#too-wide" in bad and "past the column" in bad, bad
    assert "span#clipped" in bad and "cut off" in bad and "div#clipping" in bad, bad
    assert "scrolled" not in bad and "div#scroller:" not in bad, bad
    assert len(report["bad"]) == 2, bad  # the page's own content passes
    assert [s for s in report["scrolls"] if s.startswith("table#wide-table")], report["scrolls"]
    assert len(report["scrolls"]) == 1, report["scrolls"]  # the page's own tables fit
