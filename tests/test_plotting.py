"""Specifications for lmmtext.plotting and the bundled Korean font."""
import logging
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib import font_manager  # noqa: E402

import lmmtext  # noqa: E402,F401  (registers the font)
from lmmtext._fonts import FONT_PATH  # noqa: E402
from lmmtext.plotting import plot_shrinkage, plot_shrinkage_factor  # noqa: E402


def test_bundled_font_file_ships_with_the_package():
    assert FONT_PATH.is_file() and FONT_PATH.stat().st_size > 1_000_000
    assert (FONT_PATH.parent / "OFL.txt").is_file()


def test_korean_text_resolves_to_the_bundled_font():
    prop = font_manager.FontProperties(family=matplotlib.rcParams["font.family"])
    assert font_manager.findfont(prop, fallback_to_default=False).endswith("LmmtextGothic.ttf")


def test_a_korean_figure_with_negative_ticks_has_no_missing_glyphs(caplog, tmp_path):
    """Hangul, a U+2212 minus in text and log ticks 10^-1: every glyph found."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with caplog.at_level(logging.WARNING, logger="matplotlib"):
            fig, ax = plt.subplots()
            ax.plot(np.logspace(-2, 2, 5), [-1.5, 0, 1, 2, -3])
            ax.set_xscale("log")
            ax.set_title("축소 계수 −1 · 임의효과")
            fig.savefig(tmp_path / "korean.png")
            plt.close(fig)
    assert not [r for r in caplog.records if "glyph" in r.getMessage().lower()]


def test_plot_shrinkage_draws_one_arrow_per_group():
    ax = plot_shrinkage([1.0, -2.0, 0.5], [0.5, -1.0, 0.4], [2, 3, 10])
    assert len([c for c in ax.get_children() if type(c).__name__ == "Annotation"]) == 3
    plt.close(ax.figure)


def test_plot_shrinkage_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="same length"):
        plot_shrinkage([1.0, 2.0], [0.5], [2, 3])


def test_plot_shrinkage_factor_curves_rise_from_zero_toward_one():
    ax = plot_shrinkage_factor(np.logspace(-3, 4, 50), 1.0, [2, 10])
    for line in ax.get_lines():
        k = line.get_ydata()
        assert k[0] < 0.05 and k[-1] > 0.99 and np.all(np.diff(k) > 0)
    plt.close(ax.figure)


from lmmtext.oneway import shrinkage_factor  # noqa: E402
from lmmtext.plotting import plot_shrinkage_factor_vs_n, plot_three_estimates  # noqa: E402


def test_plot_shrinkage_factor_vs_n_draws_the_factor_rising_with_n():
    ns = np.array([1, 2, 5, 10, 50])
    ax = plot_shrinkage_factor_vs_n(ns, [0.5, 4.0], 2.0)
    lines = ax.get_lines()
    assert len(lines) == 2
    np.testing.assert_allclose(lines[0].get_ydata(), shrinkage_factor(0.5, 2.0, ns))
    assert np.all(np.diff(lines[1].get_ydata()) > 0)
    plt.close(ax.figure)


def test_plot_three_estimates_joins_each_unit_across_three_rows():
    ax = plot_three_estimates([0.4, 0.2, 0.3], [0.3, 0.25, 0.28], [0.33, 0.27, 0.2])
    lines = ax.get_lines()
    assert len(lines) == 3
    np.testing.assert_allclose(lines[2].get_xdata(), [0.3, 0.28, 0.2])
    plt.close(ax.figure)


def test_plot_three_estimates_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="same length"):
        plot_three_estimates([0.4, 0.2], [0.3], [0.33, 0.27])


# --- Chapters 7 and 8 -----------------------------------------------------------------

import pandas as pd  # noqa: E402

from lmmtext.plotting import (plot_caterpillar, plot_pooling_panels,  # noqa: E402
                              plot_shrinkage_2d)


def test_plot_caterpillar_sorts_the_levels_by_their_estimate():
    est = pd.Series([2.0, -1.0, 0.5], index=["A", "B", "C"])
    ax = plot_caterpillar(est, est - 1, est + 1)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["B", "C", "A"]
    np.testing.assert_allclose(ax.get_lines()[-1].get_xdata(), [-1.0, 0.5, 2.0])
    plt.close(ax.figure)


def test_plot_caterpillar_rejects_an_inverted_interval():
    with pytest.raises(ValueError, match="lower"):
        plot_caterpillar(pd.Series([0.0, 1.0]), [1.0, 0.0], [0.5, 2.0])


def _pooling_example():
    d = pd.DataFrame({"x": [0, 1] * 3, "y": [1.0, 2.0, 0.0, 3.0, 2.0, 2.0],
                      "g": list("aabbcc")})
    own = pd.DataFrame({"Intercept": [1.0, 0.0, 2.0], "x": [1.0, 3.0, 0.0]}, index=list("abc"))
    return d, own, own.mean(), (own + own.mean()) / 2


def test_plot_pooling_panels_draws_three_lines_per_group_and_hides_spare_axes():
    d, own, pooled, mixed = _pooling_example()
    fig = plot_pooling_panels(d, "x", "y", "g", own, pooled, mixed, ncols=2)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(fig.axes) == 4 and len(visible) == 3
    for ax in visible:
        assert len(ax.get_lines()) == 4  # the points and three lines
    np.testing.assert_allclose(visible[1].get_lines()[3].get_ydata(),
                               mixed.loc["b", "Intercept"] + mixed.loc["b", "x"] * np.array([0, 1]))
    plt.close(fig)


def test_plot_pooling_panels_rejects_a_missing_level():
    d, own, pooled, mixed = _pooling_example()
    with pytest.raises(ValueError, match="partial_pooling"):
        plot_pooling_panels(d, "x", "y", "g", own, pooled, mixed.drop("c"))


def test_plot_shrinkage_2d_draws_one_arrow_per_group_ending_at_the_mixed_pair():
    _, own, pooled, mixed = _pooling_example()
    ax = plot_shrinkage_2d(own, mixed, pooled, covariance=np.eye(2))
    arrows = [c for c in ax.get_children() if type(c).__name__ == "Annotation"]
    assert len(arrows) == 3
    np.testing.assert_allclose([a.xy for a in arrows], mixed.to_numpy())
    plt.close(ax.figure)


def test_plot_shrinkage_2d_ellipse_is_the_95_percent_contour():
    _, own, pooled, mixed = _pooling_example()
    S = np.array([[4.0, 1.0], [1.0, 2.0]])
    ax = plot_shrinkage_2d(own, mixed, pooled, covariance=S)
    ring = np.vstack(ax.get_lines()[0].get_data()).T - pooled.to_numpy()
    q = np.einsum("ij,jk,ik->i", ring, np.linalg.inv(S), ring)
    np.testing.assert_allclose(q, 5.991464547, rtol=1e-6)
    plt.close(ax.figure)


def test_plot_shrinkage_2d_rejects_different_levels():
    _, own, pooled, mixed = _pooling_example()
    with pytest.raises(ValueError, match="same levels"):
        plot_shrinkage_2d(own, mixed.drop("a"), pooled)


def test_plot_caterpillar_marks_the_reference_values_in_the_sorted_order():
    est = pd.Series([2.0, -1.0], index=["A", "B"])
    ax = plot_caterpillar(est, est - 1, est + 1, reference=[3.0, -2.0])
    crosses = [ln for ln in ax.get_lines() if ln.get_marker() == "x"]
    np.testing.assert_allclose(crosses[0].get_xdata(), [-2.0, 3.0])
    plt.close(ax.figure)
