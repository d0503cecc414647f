"""Progress bars: live on a terminal, whole lines (no carriage returns) in a log."""

import io

from tqdm import tqdm

import minilm.progress as progress
from minilm.progress import LineProgress, progress_bar


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_a_log_gets_whole_lines_at_most_one_per_interval(monkeypatch):
    monkeypatch.setattr(progress, "_in_jupyter", lambda: False)
    log = io.StringIO()
    bar = progress_bar(total=1000, desc="fit", file=log)
    assert isinstance(bar, LineProgress)
    for i in range(1000):
        bar.update()
        bar.set_postfix(loss=1.0 / (i + 1))  # refreshes on every call, as fit's does
    bar.close()
    text = log.getvalue()
    assert "\r" not in text
    lines = text.splitlines()
    assert len(lines) == 2  # the first update, then the final state (all within 15 s)
    assert lines[-1].startswith("fit: 100%") and "1000/1000" in lines[-1]


def test_the_interval_paces_the_lines(monkeypatch):
    monkeypatch.setattr(progress, "_in_jupyter", lambda: False)
    now = [0.0]
    monkeypatch.setattr(progress.time, "monotonic", lambda: now[0])
    log = io.StringIO()
    bar = progress_bar(total=100, file=log, mininterval=0)
    for _ in range(100):
        now[0] += 1.0  # one second a step: a line every LINE_INTERVAL steps
        bar.update()
    bar.close()
    counts = [line.split("|")[2].split()[0] for line in log.getvalue().splitlines()]
    every = int(progress.LINE_INTERVAL)
    assert counts == [f"{n}/100" for n in range(0, 100, every)] + ["100/100"]


def test_a_terminal_or_jupyter_gets_the_live_bar(monkeypatch):
    monkeypatch.setattr(progress, "_in_jupyter", lambda: False)
    bar = progress_bar(total=3, file=FakeTerminal())
    assert type(bar) is tqdm
    bar.close()
    monkeypatch.setattr(progress, "_in_jupyter", lambda: True)
    bar = progress_bar(total=3, file=io.StringIO())
    assert type(bar) is tqdm
    bar.close()


def test_disabled_writes_nothing():
    log = io.StringIO()
    for _ in progress_bar(range(5), enabled=False, file=log):
        pass
    assert log.getvalue() == ""


def test_messages_written_through_tqdm_bring_no_carriage_returns(monkeypatch):
    """fit prints its evaluation lines with tqdm.write, which first clears every bar."""
    monkeypatch.setattr(progress, "_in_jupyter", lambda: False)
    log = io.StringIO()
    bar = progress_bar(total=3, file=log)
    for i in range(3):
        bar.update()
        tqdm.write(f"step {i}: loss 1.0", file=log)
    bar.close()
    assert "\r" not in log.getvalue() and log.getvalue().count("step ") == 3
