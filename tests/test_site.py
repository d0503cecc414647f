"""The course website: it builds, it names no outside host for anything a page
loads, and a chapter page renders in a real browser (headless Chromium) with its
figures and its math while requesting nothing but 127.0.0.1.

By default a small site is built here (two chapters, the committed notebooks).
``MINILM_SITE=DIR`` tests a site built already from executed notebooks instead
(every notebook page must show outputs): CI builds the whole course from the
notebooks its tests executed and runs this file against it.
``MINILM_SITE_SCREENSHOT=FILE`` says where the browser's screenshot goes.
"""

import contextlib
import functools
import html
import http.server
import json
import os
import re
import shutil
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest

from minilm import course

ROOT = course.repo_root()
CHAPTER = "10_generative_models"  # the page the browser opens: math and figures
IN_CI = os.environ.get("CI") == "true"


def need(what: str, missing: bool):
    """Skip when ``what`` is missing here; under CI=true, fail instead."""
    if missing:
        message = f"the website test needs {what}"
        if IN_CI:
            pytest.fail(f"CI: {message}")
        pytest.skip(message)


def _missing_module(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is None


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    if os.environ.get("MINILM_SITE"):
        return Path(os.environ["MINILM_SITE"])
    for module in ("sphinx", "myst_nb", "jupyter_server_mathjax"):
        need(f"{module} (pip install '.[docs]')", _missing_module(module))
    from minilm.site import build_site

    out = tmp_path_factory.mktemp("site")
    build_site(out, ROOT, chapters=["03", CHAPTER[:2]])
    return out


# -- what the build holds -------------------------------------------------------

_LOADS_HTML = re.compile(r"<(?:script|img|iframe|source|audio|video|embed|link)\b[^>]*?"
                         r"\b(?:src|href|srcset|data)\s*=\s*[\"']([^\"']+)", re.I)  # fmt: skip
_LOADS_CSS = re.compile(r"url\(\s*[\"']?([^\"')]+)|@import\s+[\"']([^\"']+)", re.I)
# hosts that serve scripts, styles and fonts: named anywhere in the build, even in JS
_CDN = re.compile(r"//[\w.-]*(cdn|jsdelivr|unpkg|googleapis|gstatic|typekit|fontawesome)"
                  r"[\w.-]*\.\w+", re.I)  # fmt: skip


def remote_references(site: Path) -> list[str]:
    """What in the built HTML, CSS and JavaScript would load from another host:
    a remote address where a page or stylesheet loads something (a script, an
    image, a stylesheet, a font), or a CDN's host named anywhere. Hyperlinks
    (``<a href>``) to papers and other sites load nothing and are allowed."""
    found = []
    for path in sorted(site.rglob("*")):
        if path.suffix not in (".html", ".css", ".js"):
            continue
        text = path.read_text(errors="replace")
        if path.suffix == ".html":
            loads = _LOADS_HTML.findall(text)
        elif path.suffix == ".css":
            loads = [a or b for a, b in _LOADS_CSS.findall(text)]
        else:
            loads = []
        found += [f"{path.relative_to(site)}: loads {url}" for url in loads
                  if re.match(r"(https?:)?//", url.strip())]  # fmt: skip
        found += [f"{path.relative_to(site)}: names {m.group(0)}" for m in _CDN.finditer(text)]
    return found


def test_the_checker_finds_remote_loads(tmp_path):
    (tmp_path / "a.html").write_text(
        '<script src="https://cdn.jsdelivr.net/npm/mathjax@3"></script>'
        '<link rel="stylesheet" href="//example.org/x.css"><a href="https://arxiv.org">paper</a>'
    )
    (tmp_path / "b.css").write_text("@font-face { src: url('https://example.org/f.woff2') }")
    assert remote_references(tmp_path) == [
        "a.html: loads https://cdn.jsdelivr.net/npm/mathjax@3",
        "a.html: loads //example.org/x.css",
        "a.html: names //cdn.jsdelivr.net",
        "b.css: loads https://example.org/f.woff2",
    ]


def test_the_site_has_every_part_and_nothing_remote(site):
    chapters = sorted(p.parent.name for p in site.glob("[0-9][0-9]_*/index.html"))
    assert CHAPTER in chapters
    for slug in chapters:
        page = (site / slug / "index.html").read_text()
        notebook = (site / slug / "lesson.html").read_text()
        text = html.unescape(re.sub(r"<[^>]+>", "", page + notebook))  # highlighting's spans
        assert f"python -m minilm grade chapters/{slug}/exercises/" in text, slug
        assert 'class="math' in page + notebook, f"{slug}: no math"
        assert "Exercises" in notebook and "Further reading" in notebook
        if os.environ.get("MINILM_SITE"):
            assert "cell_output" in notebook, f"{slug}: the notebook page shows no outputs"
    page = (site / CHAPTER / "index.html").read_text()
    assert re.search(r'<img [^>]*src="\.\./_images/gan_\w+\.png"', page), "no figure"
    assert (site / "_static/mathjax/MathJax.js").exists()
    api = (site / "api.html").read_text()
    for name in ("minilm.Tensor", "minilm.nn.Linear", "minilm.functional.softmax",
                 "minilm.optim.Adam", "minilm.grading.grade_exercise"):  # fmt: skip
        assert f'id="{name}"' in api, f"the API reference lacks {name}"
    assert remote_references(site) == []


# -- in a browser ----------------------------------------------------------------


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serve(folder: Path):
    """Serve ``folder`` on 127.0.0.1 (a free port) in a thread; yield its address."""
    handler = functools.partial(_Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def served(site):
    with serve(site) as address:
        yield address


@pytest.fixture(scope="module")
def browser():
    need("selenium (pip install '.[dev]')", _missing_module("selenium"))
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver") or (
        "/usr/bin/chromedriver" if os.path.exists("/usr/bin/chromedriver") else None
    )
    need("chromium (apt-get install chromium)", binary is None)
    need("chromedriver (apt-get install chromium-driver)", driver is None)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    saved = os.environ.get("SE_OFFLINE")
    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must never download anything
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1280,1000", "--hide-scrollbars", "--no-first-run"):  # fmt: skip
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    chrome = webdriver.Chrome(service=Service(executable_path=driver), options=options)
    chrome.set_page_load_timeout(60)
    yield chrome
    chrome.quit()
    if saved is None:
        os.environ.pop("SE_OFFLINE", None)
    else:
        os.environ["SE_OFFLINE"] = saved


def requested_urls(chrome) -> list[str]:
    """Every address the page asked for: the DevTools network log (which also
    holds the requests that failed) and the Resource Timing entries."""
    urls = [e["name"] for e in chrome.execute_script(
        "return performance.getEntriesByType('resource').map(e => ({name: e.name}))")]  # fmt: skip
    for entry in chrome.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def outside(urls: list[str]) -> list[str]:
    return sorted({u for u in urls if urlparse(u).scheme in ("http", "https", "ws", "wss")
                   and urlparse(u).hostname != "127.0.0.1"})  # fmt: skip


def test_the_browser_check_sees_a_request_elsewhere(browser, tmp_path):
    (tmp_path / "index.html").write_text('<img src="http://fonts.example.invalid/x.png">')
    with serve(tmp_path) as address:
        browser.get(f"{address}/index.html")
        assert outside(requested_urls(browser)) == ["http://fonts.example.invalid/x.png"]


def test_a_chapter_page_renders_offline_in_chromium(served, browser, tmp_path):
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get_log("performance")  # drop what earlier pages logged
    browser.get(f"{served}/{CHAPTER}/index.html")
    math = "return document.querySelectorAll('.MathJax, .MathJax_Display, mjx-container').length"
    WebDriverWait(browser, 30).until(lambda b: b.execute_script(math) > 0)
    idle = "return MathJax.Hub.queue.running === 0 && MathJax.Hub.queue.pending === 0"
    WebDriverWait(browser, 30).until(lambda b: b.execute_script(idle))
    assert browser.execute_script("return document.querySelectorAll('.MathJax_Error').length") == 0
    widths = browser.execute_script(
        "return Array.from(document.images).filter(i => i.src.includes('/_images/'))"
        ".map(i => i.complete ? i.naturalWidth : 0)"
    )
    assert widths and all(w > 0 for w in widths), f"figures did not load: {widths}"
    urls = requested_urls(browser)
    assert urls, "the browser logged no request"
    elsewhere = outside(urls)
    assert elsewhere == [], f"the page asked for addresses beyond 127.0.0.1: {elsewhere}"
    browser.execute_script("window.scrollTo(0, 0)")
    shot = Path(os.environ.get("MINILM_SITE_SCREENSHOT") or tmp_path / "chapter.png")
    shot.parent.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000


def test_build_runs_the_notebooks_once_for_their_outputs(tmp_path, capsys):
    """``python -m minilm.course build OUT/`` executes each notebook (here one
    chapter's) and shows its outputs; ``--no-execute`` shows none."""
    for module in ("sphinx", "myst_nb", "jupyter_server_mathjax", "nbclient"):
        need(f"{module} (pip install '.[dev]')", _missing_module(module))
    assert course.main(["build", str(tmp_path / "run"), "--chapters", "02"]) == 0
    assert "executed 02_math_foundations" in capsys.readouterr().out
    page = (tmp_path / "run" / "02_math_foundations" / "lesson.html").read_text()
    assert 'class="cell_output' in page
    assert course.main(["build", str(tmp_path / "plain"), "--chapters", "02", "--no-execute"]) == 0
    page = (tmp_path / "plain" / "02_math_foundations" / "lesson.html").read_text()
    assert 'class="cell_output' not in page
