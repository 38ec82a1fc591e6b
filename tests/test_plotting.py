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
