"""Plots draw without a display and show what they say."""

import pytest

import minilm.optim as optim
from minilm import plot
from minilm.train import History

pytest.importorskip("matplotlib")


def test_plot_history_draws_train_and_eval_curves(tmp_path):
    hist = History(step=[1, 2, 3, 4], loss=[2.0, 1.5, 1.2, 1.0], lr=[0.1] * 4,
                   eval=[{"step": 2, "loss": 1.6}, {"step": 4, "loss": 1.1}])  # fmt: skip
    ax = plot.plot_history(hist, smoothing=0.5, log=True)
    assert [line.get_label() for line in ax.lines] == ["train loss", "eval loss"]
    assert list(ax.lines[1].get_xdata()) == [2, 4]
    assert ax.get_yscale() == "log"
    ax.figure.savefig(tmp_path / "loss.png")
    assert (tmp_path / "loss.png").stat().st_size > 0


def test_smooth_is_a_bias_corrected_moving_average():
    assert plot.smooth([2.0]) == [2.0]
    out = plot.smooth([0.0, 1.0], weight=0.5)
    assert out[1] == pytest.approx((0.5 * 0.5 * 0 + 0.5 * 1.0) / (1 - 0.25))


def test_lr_curve_and_plot_lr(tmp_path):
    lrs = plot.lr_curve(lambda o: optim.WarmupCosineLR(o, 5, 50), steps=50, lr=0.1)
    assert len(lrs) == 50 and lrs[4] == pytest.approx(0.1) and lrs[0] == pytest.approx(0.02)
    ax = plot.plot_lr(lrs, label="warmup + cosine")
    plot.plot_lr(History(lr=[0.1, 0.05]), ax=ax)
    assert len(ax.lines) == 2 and ax.get_ylabel() == "learning rate"
    ax.figure.savefig(tmp_path / "lr.png")
