"""The playground page (``GET /`` of ``python -m minilm serve``) in headless
Chromium: a prompt typed into the page streams in as coloured token spans whose
text is what the same server answers over plain HTTP, each span's tooltip lists
the server's top alternatives, the server's errors show on the page, Stop stops,
and the page asks for nothing beyond 127.0.0.1 and throws no JavaScript error.

The browser is tests/test_site.py's (Debian's chromium and chromium-driver,
Selenium pointed at the system chromedriver); missing pieces skip here and fail
under CI=true. ``MINILM_PLAYGROUND_SCREENSHOT=FILE`` says where the screenshot of
the page goes.
"""

import colorsys
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the website test
import test_site  # noqa: E402

import minilm  # noqa: E402
from minilm import course  # noqa: E402
from minilm.checkpoint import save_model  # noqa: E402
from minilm.models import TextCNN, TextCNNConfig  # noqa: E402
from minilm.text import WordTokenizer  # noqa: E402

browser, need, outside = test_site.browser, test_site.need, test_site.outside
ROOT = course.repo_root()
PROMPT = "ROMEO:\nWhat"

# -- the server: small model files, `python -m minilm serve` (conftest's `serve`) -------


def _minilm(*args):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    return subprocess.run([sys.executable, "-m", "minilm", *map(str, args)], cwd=ROOT, env=env,
                          capture_output=True, text=True)  # fmt: skip


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> list[Path]:
    """A char GPT and a transformer translator, each trained here for 30 steps by
    the commands a user runs, and an untrained TextCNN sentiment classifier; or
    the model files that ``MINILM_PLAYGROUND_MODELS`` lists (separated by
    ``os.pathsep``), to take the screenshot with well-trained models."""
    if os.environ.get("MINILM_PLAYGROUND_MODELS"):
        return [Path(p) for p in os.environ["MINILM_PLAYGROUND_MODELS"].split(os.pathsep)]
    folder = tmp_path_factory.mktemp("playground")
    gpt, translator = folder / "shakespeare.safetensors", folder / "eng-fra.safetensors"
    for done in (
        _minilm("train", "--model", "gpt", "--corpus", "tinyshakespeare", "--steps", 30,
                "--save", gpt, "--no-progress", "--samples", 0),
        _minilm("translation", "--model", "transformer", "--steps", 30, "--beam", 0,
                "--limit", 5, "--examples", 0, "--no-progress", "--save", translator),
    ):  # fmt: skip
        assert done.returncode == 0, done.stderr
    words = "a good film . a bad film . a charming , moving story"
    tok = WordTokenizer.from_text(words, lower=True, specials=["[PAD]"])
    minilm.manual_seed(0)
    cnn = TextCNN(TextCNNConfig(vocab_size=tok.vocab_size, embed_dim=8, num_filters=4))
    classifier = folder / "sentiment.safetensors"
    save_model(classifier, cnn, {"text": tok}, labels=["negative", "positive"],
               text={"source": "test", "max_len": 32})  # fmt: skip
    return [gpt, translator, classifier]


@pytest.fixture
def server(serve, files):
    return serve(files)


def model_of(server, task: str) -> str | None:
    """The first served model of ``task`` (None when there is none)."""
    status, _, answer = server.request("GET", "/v1/models")
    assert status == 200, answer
    return next((m["name"] for m in answer["models"] if m["task"] == task), None)


# -- driving the page -------------------------------------------------------------

# installed before the page's own scripts run: every uncaught error, rejected
# promise and console.error lands in window.__errors
_CATCH_ERRORS = """{
window.__errors = [];
addEventListener("error", (e) => window.__errors.push(String(e.message || e)));
addEventListener("unhandledrejection", (e) => window.__errors.push(String(e.reason)));
const original = console.error;
console.error = (...args) => { window.__errors.push(args.join(" ")); original(...args); };
}"""


@pytest.fixture
def page(browser, server):
    """The playground freshly opened in the browser, its models listed."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    if not getattr(browser, "catches_errors", False):
        browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": _CATCH_ERRORS})
        browser.catches_errors = True
    browser.get_log("performance")  # drop what earlier pages logged
    browser.get(server.url + "/")
    WebDriverWait(browser, 20).until(lambda b: b.find_element(By.ID, "generate").is_displayed())
    return browser


def fill(browser, **fields):
    """Type into the page's fields by id (a value of None clears the field)."""
    from selenium.webdriver.common.by import By

    for name, value in fields.items():
        element = browser.find_element(By.ID, name.replace("_", "-"))
        element.clear()
        if value is not None:
            element.send_keys(str(value))


def generate(browser, timeout: float = 60) -> str:
    """Click Generate and wait for the stream to end; the page's final state."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.find_element(By.ID, "gen-go").click()
    state = "return document.getElementById('gen-output').dataset.state"
    WebDriverWait(browser, timeout).until(lambda b: b.execute_script(state) != "streaming")
    return browser.execute_script(state)


def error_text(browser) -> str:
    return browser.execute_script(
        "const e = document.getElementById('error'); return e.hidden ? '' : e.textContent"
    )


def visible(text: str) -> str:
    """A token's text as a tooltip shows it: whitespace made visible."""
    if text == "":
        return "(part of a character)"
    return text.replace(" ", "\u2423").replace("\n", "\u21b5").replace("\t", "\u21e5")


def hovered(browser, span) -> dict:
    """Move the pointer onto ``span``; what the tooltip then shows."""
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(browser).move_to_element(span).perform()
    return browser.execute_script("""
        const tip = document.getElementById("tip");
        return {shown: !tip.hidden && tip.offsetWidth > 0,
                rows: [...tip.querySelectorAll(".alt")].map((r) => ({
                    text: r.querySelector("code").textContent,
                    percent: r.querySelector(".alt-p").textContent,
                    chosen: r.classList.contains("chosen")}))};""")


def hue(css_colour: str) -> float:
    """The hue in degrees of a computed ``rgb(r, g, b)`` colour."""
    r, g, b = (int(v) / 255 for v in re.findall(r"\d+", css_colour)[:3])
    return 360 * colorsys.rgb_to_hls(r, g, b)[0]


def network(browser):
    """(every address the page asked for, {address: HTTP status}, the requests that
    failed as (address, error, whether the page cancelled it)), from one read of the
    DevTools log (reading it empties it) and the Resource Timing entries."""
    urls = [e["name"] for e in browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => ({name: e.name}))")]  # fmt: skip
    statuses, failed, url_of = {}, [], {}
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        params = message["params"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(params["request"]["url"])
            url_of[params["requestId"]] = params["request"]["url"]
        elif message["method"] == "Network.responseReceived":
            statuses[params["response"]["url"]] = params["response"]["status"]
        elif message["method"] == "Network.loadingFailed":
            failed.append((url_of.get(params["requestId"]), params.get("errorText"),
                           bool(params.get("canceled"))))  # fmt: skip
    return urls, statuses, failed


def screenshot(browser, tmp_path, name: str, hover=None) -> Path:
    """The whole page (the window grown to its height for the moment), as a PNG,
    with the pointer on the element ``hover``."""
    shot = Path(os.environ.get("MINILM_PLAYGROUND_SCREENSHOT") or tmp_path / name)
    shot.parent.mkdir(parents=True, exist_ok=True)
    size = browser.get_window_size()
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(size["width"], max(size["height"], height + 100))
    try:
        browser.execute_script("window.scrollTo(0, 0)")
        if hover is not None:
            assert hovered(browser, hover)["shown"]
        assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
    finally:
        browser.set_window_size(size["width"], size["height"])
    return shot


# -- the tests ---------------------------------------------------------------------


def text_of(browser, element_id: str) -> str:
    return browser.execute_script(f"return document.getElementById('{element_id}').textContent")


def post(server, path: str, body: dict):
    """(status, JSON answer) of the same request made over plain HTTP."""
    status, _, answer = server.post(path, body)
    return status, answer


def test_greedy_text_streams_in_as_the_server_makes_it(page, server, files, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    model = model_of(server, "generate")
    Select(page.find_element(By.ID, "gen-model")).select_by_value(model)
    fill(page, prompt=PROMPT, temperature=0, top_k=None, top_p=None, max_new=40, seed=None)
    assert generate(page) == "done", error_text(page)
    assert error_text(page) == ""

    body = {"model": model, "prompt": PROMPT, "max_new_tokens": 40, "temperature": 0}
    status, plain = post(server, "/v1/generate", body)
    assert status == 200, plain
    assert text_of(page, "gen-prompt") == PROMPT
    assert text_of(page, "gen-text") == plain["text"]
    # the library's own greedy decoding, outside the server, makes the same text
    path = next(f for f in files if f.name.split(".")[0] == model)
    cli = _minilm("generate", path, "--prompt", PROMPT, "--greedy", "--max-new-tokens", 40)
    assert cli.returncode == 0, cli.stderr
    assert cli.stdout.removesuffix("\n") == (PROMPT + plain["text"]).removesuffix("\n")

    spans = page.find_elements(By.CSS_SELECTOR, "#gen-text .tok")
    assert len(spans) == len(plain["tokens"]) == 40
    hues = []
    for span, token in zip(spans, plain["tokens"]):
        assert span.get_attribute("textContent") == token["text"]
        assert float(span.get_attribute("data-prob")) == pytest.approx(token["prob"], abs=1e-6)
        colour = span.value_of_css_property("background-color")
        assert colour not in ("", "transparent", "rgba(0, 0, 0, 0)"), colour
        hues.append((token["prob"], hue(colour)))
        tip = hovered(page, span)
        assert tip["shown"], f"no tooltip over {token['text']!r}"
        assert [r["text"] for r in tip["rows"]] == [visible(a["text"]) for a in token["top"]]
        for row, alt in zip(tip["rows"], token["top"]):
            digits = row["percent"].rstrip("%")
            tolerance = 0.051 if "." in digits else 0.5
            assert abs(float(digits) - 100 * alt["prob"]) <= tolerance, (row, alt)
        # greedy: the token made is the most likely one, first in its tooltip
        assert tip["rows"][0]["chosen"] and tip["rows"][0]["text"] == visible(token["text"])
    # the colour follows the probability: the likelier the token, the greener
    ordered = [h for _, h in sorted(hues)]
    assert all(a <= b + 1.0 for a, b in zip(ordered, ordered[1:])), sorted(hues)
    assert max(ordered) - min(ordered) > 10, f"the probabilities barely vary: {sorted(hues)}"

    urls, statuses, failed = network(page)
    for needed in ("/", "/static/playground.js", "/static/playground.css", "/v1/models",
                   "/v1/generate"):  # fmt: skip
        assert statuses.get(server.url + needed) == 200, (needed, statuses)
    assert outside(urls) == [], f"the page asked for addresses beyond 127.0.0.1: {outside(urls)}"
    assert all(s < 400 for s in statuses.values()), statuses
    # Chromium logs about a third of fully read streamed fetches as cancelled (its
    # loader goes before the network's "finished" reaches DevTools): measured here
    # with the page's reader and with `for await`, never with response.text(). The
    # text above came whole, so that one may; any other failure may not.
    stream = server.url + "/v1/generate"
    assert [f for f in failed if f[0] != stream or not f[2]] == [], failed
    assert page.execute_script("return window.__errors") == []


def test_a_seeded_sample_streams_the_text_the_server_answers(page, server, tmp_path):
    from selenium.webdriver.common.by import By

    fill(page, prompt="KING:", temperature=0.8, top_k=20, top_p=0.95, max_new=100, seed=7)
    assert generate(page) == "done", error_text(page)
    body = {"prompt": "KING:", "max_new_tokens": 100, "temperature": 0.8, "top_k": 20,
            "top_p": 0.95, "seed": 7}  # fmt: skip
    status, plain = post(server, "/v1/generate", body)
    assert status == 200, plain
    assert text_of(page, "gen-text") == plain["text"]
    for task, button, result in (("translate", "tr-go", "#tr-heat table"),
                                 ("classify", "cl-go", "#cl-out .prob-row")):  # fmt: skip
        if model_of(server, task):  # the other panels in the screenshot too
            page.find_element(By.ID, button).click()
            wait_for(page, result)
    assert error_text(page) == ""
    assert page.execute_script("return window.__errors") == []
    spans = page.find_elements(By.CSS_SELECTOR, "#gen-text .tok")
    screenshot(page, tmp_path, "playground.png", hover=spans[len(spans) // 4])


def test_the_servers_error_message_shows_on_the_page(page, server):
    fill(page, prompt="ROMEO:", temperature=1, top_p=5, max_new=10)
    assert generate(page) == "error"
    status, plain = post(server, "/v1/generate", {"prompt": "ROMEO:", "max_new_tokens": 10,
                                                  "temperature": 1, "top_p": 5})  # fmt: skip
    assert status == 400 and plain["error"]["field"] == "top_p", plain
    shown = error_text(page)
    assert plain["error"]["message"] in shown and "top_p" in shown, shown
    assert page.execute_script("return document.querySelectorAll('#gen-text .tok').length") == 0


def test_stop_ends_the_stream(page, server):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    fill(page, prompt="ROMEO:", temperature=1, top_p=None, max_new=1000, seed=1)
    page.find_element(By.ID, "gen-go").click()
    count = "return document.querySelectorAll('#gen-text .tok').length"
    WebDriverWait(page, 30).until(lambda b: b.execute_script(count) >= 3)
    page.find_element(By.ID, "gen-stop").click()
    state = "return document.getElementById('gen-output').dataset.state"
    WebDriverWait(page, 10).until(lambda b: b.execute_script(state) != "streaming")
    assert page.execute_script(state) == "stopped"
    stopped_at = page.execute_script(count)
    time.sleep(0.5)
    assert page.execute_script(count) == stopped_at < 1000
    assert error_text(page) == ""
    fill(page, max_new=5)  # and the next request is served as usual
    assert generate(page) == "done", error_text(page)


def wait_for(browser, *selectors):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    for selector in selectors:
        there = lambda b, s=selector: b.find_elements(By.CSS_SELECTOR, s) or error_text(b)
        WebDriverWait(browser, 30).until(there)
        assert error_text(browser) == "", selector


def test_the_translation_and_its_attention_heatmap(page, server):
    from selenium.webdriver.common.by import By

    need("a translator among the served models", model_of(server, "translate") is None)
    fill(page, tr_text="i am tired .")
    page.find_element(By.ID, "tr-go").click()
    wait_for(page, "#tr-heat table")
    status, plain = post(server, "/v1/translate", {"text": "i am tired ."})
    assert status == 200, plain
    assert text_of(page, "tr-out") == plain["translation"]
    table = page.execute_script("""
        const t = document.querySelector("#tr-heat table");
        return {cols: [...t.tHead.rows[0].cells].slice(1).map((c) => c.textContent),
                rows: [...t.tBodies[0].rows].map((r) => r.cells[0].textContent),
                shades: [...t.tBodies[0].rows].map((r) => [...r.cells].slice(1).map(
                    (c) => getComputedStyle(c).backgroundColor))};""")
    assert table["cols"] == plain["source_tokens"]
    assert table["rows"] == plain["target_tokens"]
    assert len(table["shades"]) == len(plain["attention"])
    for shades, weights in zip(table["shades"], plain["attention"]):
        assert len(shades) == len(weights)
        for shade, w in zip(shades, weights):
            values = re.findall(r"[\d.]+", shade)
            alpha = float(values[3]) if len(values) == 4 else 1.0  # rgb(...) is opaque
            assert alpha == pytest.approx(w, abs=0.01), (shade, w)
    assert page.execute_script("return window.__errors") == []


def test_the_label_and_its_probabilities(page, server):
    from selenium.webdriver.common.by import By

    need("a classifier among the served models", model_of(server, "classify") is None)
    text = "a charming and moving film"
    fill(page, cl_text=text)
    page.find_element(By.ID, "cl-go").click()
    wait_for(page, "#cl-out .prob-row")
    status, plain = post(server, "/v1/classify", {"text": text})
    assert status == 200, plain
    rows = page.execute_script("""
        return [...document.querySelectorAll("#cl-out .prob-row")].map((r) => ({
            label: r.children[0].textContent, chosen: r.classList.contains("chosen"),
            width: r.querySelector(".prob-bar").getBoundingClientRect().width,
            track: r.querySelector(".prob-track").getBoundingClientRect().width}));""")
    assert sorted(r["label"] for r in rows) == sorted(plain["probabilities"])
    for row in rows:
        assert row["chosen"] == (row["label"] == plain["label"])
        p = plain["probabilities"][row["label"]]
        assert row["width"] == pytest.approx(p * row["track"], abs=1.0), (row, p)


def test_the_token_comes_from_the_url_or_the_field(browser, serve, files):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    server = serve(files, "--token", "s3cret")
    shown = lambda b: b.find_element(By.ID, "generate").is_displayed()
    browser.get(server.url + "/")
    browser.execute_script("sessionStorage.clear()")
    browser.get(server.url + "/")
    WebDriverWait(browser, 20).until(lambda b: error_text(b))
    status, _, plain = server.request("GET", "/v1/models")
    assert status == 401 and plain["error"]["message"] in error_text(browser)
    assert not shown(browser)
    field = browser.find_element(By.ID, "token")
    field.send_keys("s3cret", Keys.ENTER)
    WebDriverWait(browser, 20).until(shown)
    assert error_text(browser) == ""
    browser.execute_script("sessionStorage.clear()")
    browser.get(server.url + "/?token=s3cret")
    WebDriverWait(browser, 20).until(shown)
    fill(browser, prompt="ROMEO:", temperature=0, max_new=5)
    assert generate(browser) == "done", error_text(browser)
    browser.execute_script("sessionStorage.clear()")
