"""Figures of the book.

Labels follow the edition: a notebook's first code cell declares it,
``lmmtext.plotting.use_language("ko")`` in the Korean notebook and
``lmmtext.plotting.use_language("en")`` in the English one; every other code
cell is the same in both, and writes its own labels with
``label("한국어", "English")``, which returns the declared language's text.
Before a notebook declares a language (``"both"``, the default), labels carry
both languages ("한국어 · English"), as the book's figures did before its
editions were separated.  Titles and figure numbers are not drawn in the
image: they are the caption of the figure in the page.  The bundled Korean font
(registered on ``import lmmtext``) renders Hangul.
"""
from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["use_language", "current_language", "label"]

LANGUAGES = ("ko", "en", "both")
_language = {"current": "both"}


def use_language(language: str) -> None:
    """Label the figures (and ``label``'s text) from now on in ``language``.

    Returns nothing, so that the edition cell of a notebook shows no output;
    :func:`current_language` tells the language in use.

    Parameters
    ----------
    language : {"ko", "en", "both"}
        ``"both"`` writes "한국어 · English" (the default before a notebook declares its edition).

    Examples
    --------
    >>> previous = current_language()
    >>> use_language("en")
    >>> label("집단 크기", "group size")
    'group size'
    >>> use_language(previous)
    """
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, got {language!r}")
    _language["current"] = language


def current_language() -> str:
    """The language figures are labelled in: ``"ko"``, ``"en"`` or ``"both"``."""
    return _language["current"]


def label(ko: str, en: str) -> str:
    """The text of a label in the current language (both, joined by " · ", before one is chosen).

    Examples
    --------
    >>> previous = current_language()
    >>> use_language("ko")
    >>> label("집단 크기 $n_i$", "group size $n_i$")
    '집단 크기 $n_i$'
    >>> use_language("both")
    >>> label("참값", "truth")
    '참값 · truth'
    >>> use_language(previous)
    """
    language = _language["current"]
    if language == "ko":
        return ko
    if language == "en":
        return en
    return ko if ko == en else f"{ko} · {en}"


__all__ += ["plot_shrinkage", "plot_shrinkage_factor"]


def plot_shrinkage(
    fixed: Any, blup: Any, n_i: Any, *, truth: Any = None, centre: float = 0.0, ax: Any = None
) -> Any:
    """Arrows from each group's fixed-effect estimate to its BLUP (Chapter 1, Figure 1.1).

    Parameters
    ----------
    fixed : array_like of shape (a,)
        Fixed-effect estimates ``ybar_i. - ybar..`` (eq. 1.2).
    blup : array_like of shape (a,)
        BLUPs ``k_i (ybar_i. - mu_hat)`` (eq. 1.6).
    n_i : array_like of shape (a,)
        Group sizes; the horizontal axis.
    truth : array_like of shape (a,), optional
        True effects of a simulation, drawn as crosses.
    centre : float, default 0
        The value the BLUPs shrink toward, drawn as a horizontal line.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt

    fixed, blup, n_i = (np.asarray(v, dtype=float) for v in (fixed, blup, n_i))
    if not fixed.shape == blup.shape == n_i.shape:
        raise ValueError("fixed, blup and n_i must have the same length")
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4.2))
    ax.axhline(centre, color="0.6", lw=1, zorder=0)
    for x, f, b in zip(n_i, fixed, blup):
        ax.annotate("", xy=(x, b), xytext=(x, f),
                    arrowprops=dict(arrowstyle="->", color="tab:blue", lw=1.4))
    ax.scatter(n_i, fixed, color="tab:orange", zorder=3, label=label("고정효과 추정값", "fixed-effect estimate"))
    ax.scatter(n_i, blup, color="tab:blue", zorder=3, label="BLUP")
    if truth is not None:
        ax.scatter(n_i, np.asarray(truth, dtype=float), marker="x", color="black", zorder=4,
                   label=label("참값", "true effect"))
    ax.set_xscale("log")
    ax.set_xticks(n_i, [f"{n:g}" for n in n_i])
    ax.minorticks_off()
    ax.set_xlabel(label("집단 크기 $n_i$", "group size $n_i$"))
    ax.set_ylabel(label("집단 효과", "group effect"))
    ax.legend(frameon=False, fontsize=9)
    return ax


def plot_shrinkage_factor(sigma_a2: Any, sigma2: float, n_values: Any, *, ax: Any = None) -> Any:
    """The shrinkage factor ``k = sigma_a^2 / (sigma_a^2 + sigma^2 / n)`` against ``sigma_a^2``, one curve per ``n``.

    Chapter 1, eq. (1.4).  Returns the matplotlib Axes.
    """
    import matplotlib.pyplot as plt

    from .oneway import shrinkage_factor

    sigma_a2 = np.asarray(sigma_a2, dtype=float)
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4.2))
    for n in n_values:
        k = [shrinkage_factor(s, sigma2, n) for s in sigma_a2]
        ax.plot(sigma_a2, k, label=f"$n_i = {n}$")
    ax.set_xscale("log")
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(label("집단 간 분산 $\\sigma_a^2$", "between-group variance $\\sigma_a^2$"))
    ax.set_ylabel(label("축소 계수 $k_i$", "shrinkage factor $k_i$"))
    ax.legend(frameon=False, fontsize=9)
    return ax


# --- Chapter 6: shrinkage ------------------------------------------------------

__all__ += ["plot_shrinkage_factor_vs_n", "plot_three_estimates"]


def plot_shrinkage_factor_vs_n(n_values: Any, sigma_a2_values: Any, sigma2: float, *,
                               ax: Any = None) -> Any:
    """The shrinkage factor ``k_i`` against the group size ``n_i``, one curve per ``sigma_a^2``.

    Chapter 6, eq. (6.2).  The factor rises toward 1 as ``n_i`` grows.

    Parameters
    ----------
    n_values : array_like of int
        Group sizes on the horizontal axis (each at least 1).
    sigma_a2_values : sequence of float
        Between-group variances, one curve each.
    sigma2 : float
        Error variance.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValueError
        If a group size is below 1 or a variance is invalid.

    Examples
    --------
    >>> ax = plot_shrinkage_factor_vs_n([1, 2, 5, 10], [1.0, 4.0], 4.0)
    >>> len(ax.get_lines())
    2
    """
    import matplotlib.pyplot as plt

    from .oneway import shrinkage_factor

    n_values = np.asarray(n_values, dtype=float)
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4.2))
    for s in sigma_a2_values:
        ax.plot(n_values, shrinkage_factor(s, sigma2, n_values), marker="o", ms=3,
                label=f"$\\sigma_a^2 = {s:g}$")
    ax.set_xscale("log")
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(label("집단 크기 $n_i$", "group size $n_i$"))
    ax.set_ylabel(label("축소 계수 $k_i$", "shrinkage factor $k_i$"))
    ax.legend(frameon=False, fontsize=9)
    return ax


def plot_three_estimates(raw: Any, shrunk: Any, truth: Any, *, ax: Any = None) -> Any:
    """Raw estimates, shrunk estimates and the truth on three rows, joined per unit.

    Chapter 6 (the picture Efron and Morris drew for the batting averages):
    the top row holds the raw estimates, the middle row the shrunk ones, the
    bottom row the values being estimated; a line joins the three values of
    each unit.

    Parameters
    ----------
    raw, shrunk, truth : array_like of shape (k,)
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValueError
        If the three inputs differ in length.

    Examples
    --------
    >>> ax = plot_three_estimates([0.4, 0.2], [0.3, 0.25], [0.33, 0.27])
    >>> len(ax.get_lines())
    2
    """
    import matplotlib.pyplot as plt

    raw, shrunk, truth = (np.asarray(v, dtype=float) for v in (raw, shrunk, truth))
    if not raw.shape == shrunk.shape == truth.shape:
        raise ValueError("raw, shrunk and truth must have the same length")
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.6))
    rows = np.array([2.0, 1.0, 0.0])
    for r, s, t in zip(raw, shrunk, truth):
        ax.plot([r, s, t], rows, color="0.6", lw=0.8, zorder=1)
    ax.scatter(raw, np.full(raw.shape, rows[0]), color="tab:orange", zorder=3)
    ax.scatter(shrunk, np.full(raw.shape, rows[1]), color="tab:blue", zorder=3)
    ax.scatter(truth, np.full(raw.shape, rows[2]), marker="x", color="black", zorder=3)
    ax.set_yticks(rows, [label("원래 추정값", "raw"), label("축소 추정값", "shrunk"), label("참값", "truth")])
    ax.set_ylim(-0.4, 2.4)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    return ax


# --- Chapters 7 and 8: real data, pooling ---------------------------------------

__all__ += ["plot_caterpillar", "plot_pooling_panels", "plot_shrinkage_2d"]


def plot_caterpillar(estimate: Any, lower: Any, upper: Any, *, reference: Any = None,
                     reference_label: str | None = None,
                     ax: Any = None) -> Any:
    """Conditional modes with prediction intervals, sorted (a caterpillar plot), Chapter 7.

    One horizontal interval per level, the levels ordered by ``estimate``,
    with a vertical line at 0 (the mean of the random effects).

    Parameters
    ----------
    estimate : pandas.Series
        Conditional modes indexed by level label (the labels on the y axis).
    lower, upper : array_like of the same length
        Interval ends, in the order of ``estimate``.
    reference : array_like of the same length, optional
        Values to mark beside each interval (e.g. the fixed-effect estimates
        ``ybar_i. - ybar..``), drawn as orange crosses.
    reference_label : str, optional
        Legend text for ``reference``; default "fixed-effect estimate" in the current language.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValueError
        If the lengths differ or some ``lower > upper``.

    Examples
    --------
    >>> import pandas as pd
    >>> ax = plot_caterpillar(pd.Series([1.0, -1.0], index=["a", "b"]), [0, -2], [2, 0])
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['b', 'a']
    """
    import matplotlib.pyplot as plt
    import pandas as pd

    est = pd.Series(estimate, dtype=float)
    lower, upper = np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)
    if not est.shape == lower.shape == upper.shape:
        raise ValueError("estimate, lower and upper must have the same length")
    if np.any(lower > upper):
        raise ValueError("every lower end must be at most the upper end")
    order = np.argsort(est.to_numpy(), kind="stable")
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 0.3 * est.size + 1.2))
    pos = np.arange(est.size)
    ax.axvline(0.0, color="0.6", lw=1, zorder=0)
    ax.hlines(pos, lower[order], upper[order], color="tab:blue", lw=1.6)
    if reference is not None:
        ref = np.asarray(reference, dtype=float)
        if ref.shape != lower.shape:
            raise ValueError("reference must have the length of estimate")
        ax.plot(ref[order], pos, "x", color="tab:orange", ms=7, mew=1.8,
                label=label("고정효과 추정값", "fixed-effect estimate") if reference_label is None
                else reference_label)
    ax.plot(est.to_numpy()[order], pos, "o", color="tab:blue", ms=5,
            label=label("조건부 최빈값", "conditional mode"))
    ax.set_yticks(pos, [str(v) for v in est.index[order]])
    ax.set_ylim(-0.7, est.size - 0.3)
    return ax


def plot_pooling_panels(data: Any, x: str, y: str, group: str, no_pooling: Any,
                        complete_pooling: Any, partial_pooling: Any, *, ncols: int = 6,
                        order: Any = None, xlabel: str | None = None,
                        ylabel: str | None = None) -> Any:
    """One panel per group: the data and the no-, complete- and partial-pooling lines, Chapter 8.

    Parameters
    ----------
    data : pandas.DataFrame
        Holds columns ``x``, ``y`` and ``group``.
    x, y, group : str
        Column names.
    no_pooling, partial_pooling : pandas.DataFrame
        Per-level ``Intercept`` and slope (column ``x``), indexed by level.
    complete_pooling : pandas.Series
        ``Intercept`` and slope of the single line.
    ncols : int, default 6
        Panels per row.
    order : sequence, optional
        Order of the panels (level labels); default the order of ``no_pooling``.
    xlabel, ylabel : str, optional
        Axis labels shared by the panels; default the column names.

    The legend sits below the panels and the top is left free for a
    ``fig.suptitle``.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If a level of ``order`` is missing from a coefficient table, or ``ncols < 1``.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"x": [0, 1, 0, 1], "y": [1.0, 2.0, 0.0, 3.0], "g": list("aabb")})
    >>> lines = pd.DataFrame({"Intercept": [1.0, 0.0], "x": [1.0, 3.0]}, index=["a", "b"])
    >>> pooled = pd.Series({"Intercept": 0.5, "x": 2.0})
    >>> fig = plot_pooling_panels(d, "x", "y", "g", lines, pooled, lines, ncols=2)
    >>> len(fig.axes)
    2
    """
    import matplotlib.pyplot as plt

    if int(ncols) < 1:
        raise ValueError(f"ncols must be at least 1, got {ncols}")
    levels = list(no_pooling.index if order is None else order)
    for name, table in (("no_pooling", no_pooling), ("partial_pooling", partial_pooling)):
        missing = [lv for lv in levels if lv not in table.index]
        if missing:
            raise ValueError(f"{name} has no row for level(s) {missing}")
    ncols = min(int(ncols), len(levels))
    nrows = -(-len(levels) // ncols)
    from matplotlib.ticker import MaxNLocator

    height = 1.75 * nrows + 1.2
    fig, axes = plt.subplots(nrows, ncols, figsize=(1.9 * ncols, height),
                             sharex=True, sharey=True, squeeze=False)
    xs = np.linspace(float(data[x].min()), float(data[x].max()), 2)
    styles = [
        (label("합동 없음", "no pooling"), "tab:orange", "--"),
        (label("완전 합동", "complete pooling"), "0.45", ":"),
        (label("부분 합동", "partial pooling"), "tab:blue", "-"),
    ]
    for ax, level in zip(axes.flat, levels):
        rows = data[group] == level
        ax.plot(data.loc[rows, x], data.loc[rows, y], "o", color="0.2", ms=2.5)
        coefs = [no_pooling.loc[level], complete_pooling, partial_pooling.loc[level]]
        for (text, color, ls), c in zip(styles, coefs):
            ax.plot(xs, c["Intercept"] + c[x] * xs, color=color, ls=ls, lw=1.4, label=text)
        ax.set_title(str(level), fontsize=9, pad=2)
        ax.tick_params(labelsize=8)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
    for ax in axes.flat[len(levels):]:
        ax.set_visible(False)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=3, frameon=False, fontsize=9)
    fig.supylabel(y if ylabel is None else ylabel, fontsize=10)
    fig.tight_layout(rect=(0, 0.5 / height, 1, 1 - 0.3 / height))
    fig.text(0.5, 0.27 / height, x if xlabel is None else xlabel, fontsize=10,
             ha="center", va="bottom")
    return fig


def plot_shrinkage_2d(no_pooling: Any, partial_pooling: Any, population: Any, *,
                      covariance: Any = None, ax: Any = None) -> Any:
    """Arrows from each group's own (intercept, slope) to its mixed-model pair, Chapter 8.

    Parameters
    ----------
    no_pooling, partial_pooling : pandas.DataFrame
        Two columns (intercept, slope), indexed by level; the arrows go from
        the rows of ``no_pooling`` to the same levels of ``partial_pooling``.
    population : array_like of shape (2,)
        The fixed effects ``beta_hat``, marked with a cross.
    covariance : array_like of shape (2, 2), optional
        ``cov(b_i)``; if given, the ellipse that holds 95% of ``N(beta_hat, covariance)``
        (its ``chi^2_2`` contour) is drawn.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValueError
        If the tables do not have two columns or the same levels.

    Examples
    --------
    >>> import pandas as pd
    >>> own = pd.DataFrame({"a": [0.0, 2.0], "b": [1.0, 3.0]}, index=["u", "v"])
    >>> mixed = pd.DataFrame({"a": [0.5, 1.5], "b": [1.5, 2.5]}, index=["u", "v"])
    >>> ax = plot_shrinkage_2d(own, mixed, [1.0, 2.0])
    >>> len([c for c in ax.get_children() if type(c).__name__ == "Annotation"])
    2
    """
    import matplotlib.pyplot as plt
    from scipy import stats

    if no_pooling.shape[1] != 2 or partial_pooling.shape[1] != 2:
        raise ValueError("no_pooling and partial_pooling must have two columns (intercept, slope)")
    if set(no_pooling.index) != set(partial_pooling.index):
        raise ValueError("no_pooling and partial_pooling must have the same levels")
    population = np.asarray(population, dtype=float)
    if population.shape != (2,):
        raise ValueError(f"population must have two entries, got shape {population.shape}")
    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 5.2))
    own = no_pooling.to_numpy(dtype=float)
    mixed = partial_pooling.loc[no_pooling.index].to_numpy(dtype=float)
    if covariance is not None:
        S = np.asarray(covariance, dtype=float)
        w, U = np.linalg.eigh(S)
        t = np.linspace(0, 2 * np.pi, 200)
        r = np.sqrt(stats.chi2.ppf(0.95, 2))
        ring = population[:, None] + U @ (r * np.sqrt(np.clip(w, 0, None))[:, None]
                                          * np.vstack([np.cos(t), np.sin(t)]))
        ax.plot(ring[0], ring[1], color="0.6", lw=1, ls="--",
                label=label("$N(\\hat\\beta, \\hat\\Sigma)$의 95% 타원",
                            "95% ellipse of $N(\\hat\\beta, \\hat\\Sigma)$"))
    for (x0, y0), (x1, y1) in zip(own, mixed):
        ax.annotate("", xy=(x1, y1), xytext=(x0, y0),
                    arrowprops=dict(arrowstyle="->", color="0.5", lw=1))
    ax.scatter(own[:, 0], own[:, 1], color="tab:orange", s=22, zorder=3,
               label=label("합동 없음", "no pooling"))
    ax.scatter(mixed[:, 0], mixed[:, 1], color="tab:blue", s=22, zorder=3,
               label=label("부분 합동", "partial pooling"))
    ax.scatter(*population, marker="X", s=110, color="black", zorder=4,
               label=label("모집단 $\\hat\\beta$", "population $\\hat\\beta$"))
    ax.set_xlabel(str(no_pooling.columns[0]))
    ax.set_ylabel(str(no_pooling.columns[1]))
    ax.legend(frameon=False, fontsize=9)
    return ax


# --- Chapter 12: model checking -------------------------------------------------

__all__ += ["plot_qq_ranef", "plot_qq_resid", "plot_resid_fitted"]


def _ppoints(n: int) -> np.ndarray:
    """R's ``ppoints(n)``: ``(i - a) / (n + 1 - 2a)``, ``a = 3/8`` for ``n <= 10``, else 1/2."""
    a = 3.0 / 8.0 if n <= 10 else 0.5
    return (np.arange(1, n + 1) - a) / (n + 1 - 2 * a)


def _binned_means(x: np.ndarray, y: np.ndarray, n_bins: int = 20) -> tuple[np.ndarray, np.ndarray]:
    """Means of ``x`` and ``y`` within bins of equal counts of ``x``: a rough smooth of ``y`` on ``x``."""
    order = np.argsort(x, kind="stable")
    bins = np.array_split(order, min(n_bins, max(1, x.size // 5)))
    return np.array([x[b].mean() for b in bins]), np.array([y[b].mean() for b in bins])


def plot_resid_fitted(fit: Any, *, group: str | None = None, levels: Any = None, ncols: int = 8,
                      ax: Any = None) -> Any:
    """Scaled Pearson residuals against fitted values, overall or one panel per group (Chapter 12).

    The residuals are lme4's ``residuals(fit, type = "pearson", scaled = TRUE)``
    (:func:`lmmtext.diagnostics.conditional_residuals`, eq. ``ch12-pearson``),
    the fitted values ``X beta_hat + Z b_hat``.  Under the model they scatter
    evenly about 0 with spread about 1 at every fitted value and in every group;
    a trend in the binned means (the line) suggests a missing term, a funnel a
    variance that changes with the mean, and panels of unequal spread a residual
    variance that differs between groups.

    Parameters
    ----------
    fit : LmmResult
    group : str, optional
        A grouping factor of the fit: one panel per level (small multiples,
        common axes, the spread of each printed in its title).
    levels : sequence, optional
        With ``group``: only these levels, in this order (default all).
    ncols : int, default 8
        With ``group``: panels per row.
    ax : matplotlib Axes, optional
        Without ``group`` only.

    Returns
    -------
    matplotlib.axes.Axes, or matplotlib.figure.Figure with ``group``

    Raises
    ------
    ValueError
        If ``group`` is not a grouping factor of the fit, a level is unknown,
        ``ncols < 1``, or ``ax`` is given with ``group``.
    TypeError
        If ``fit`` is not a fit.

    Examples
    --------
    >>> from lmmtext import lmm
    >>> from lmmtext.datasets import load_sleepstudy
    >>> fit = lmm("Reaction ~ Days + (Days | Subject)", load_sleepstudy())
    >>> len(plot_resid_fitted(fit).collections)
    1
    >>> len(plot_resid_fitted(fit, group="Subject", levels=["308", "309"]).axes)
    2
    """
    import matplotlib.pyplot as plt

    from .diagnostics import _group_codes, conditional_residuals

    r = conditional_residuals(fit, "pearson", scaled=True).to_numpy()
    fitted = fit.fitted.to_numpy()
    xlabel = label("적합값", "fitted value")
    ylabel = label("척도화 피어슨 잔차", "scaled Pearson residual")
    if group is None:
        if ax is None:
            _, ax = plt.subplots(figsize=(7, 4.2))
        ax.scatter(fitted, r, s=6, color="tab:blue", alpha=0.4, lw=0)
        ax.axhline(0.0, color="0.4", lw=1)
        bx, by = _binned_means(fitted, r)
        ax.plot(bx, by, color="tab:orange", lw=2, label=label("구간 평균", "binned mean"))
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.legend(frameon=False, fontsize=9)
        return ax
    if ax is not None:
        raise ValueError("ax cannot be given with group: the panels make their own figure")
    if int(ncols) < 1:
        raise ValueError(f"ncols must be at least 1, got {ncols}")
    codes, all_levels = _group_codes(fit.frame, group)
    chosen = list(all_levels) if levels is None else list(levels)
    positions = all_levels.get_indexer(chosen)
    if (positions < 0).any():
        raise ValueError(f"unknown level(s) of {group!r}: {[c for c, p in zip(chosen, positions) if p < 0]}")
    ncols = min(int(ncols), len(chosen))
    nrows = -(-len(chosen) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(1.6 * ncols + 0.8, 1.45 * nrows + 0.9),
                             sharex=True, sharey=True, squeeze=False)
    for a, level, pos in zip(axes.flat, chosen, positions):
        rows = codes == pos
        a.scatter(fitted[rows], r[rows], s=4, color="tab:blue", alpha=0.6, lw=0)
        a.axhline(0.0, color="0.4", lw=0.8)
        a.set_title(f"{level}  (SD {np.std(r[rows], ddof=1) if rows.sum() > 1 else np.nan:.2f})",
                    fontsize=8, pad=2)
        a.tick_params(labelsize=7)
    for a in axes.flat[len(chosen):]:
        a.set_visible(False)
    fig.supxlabel(xlabel, fontsize=10)
    fig.supylabel(ylabel, fontsize=10)
    fig.tight_layout()
    return fig


def plot_qq_resid(fit: Any, *, kind: str = "conditional", ax: Any = None) -> Any:
    """Normal QQ plot of standardised residuals, with the line ``y = x`` (Chapter 12).

    ``kind="conditional"``: the scaled Pearson residuals (eq. ``ch12-pearson``),
    a check of the normality of the errors ``e`` (their shrunk predictions;
    heavy tails show as points off the line at both ends).
    ``kind="marginal"``: the scaled marginal residuals ``C_hat^{-1} (y - X beta_hat)``
    (eq. ``ch12-marginal-scaled``), about independent ``N(0, 1)`` if the whole
    model (random effects and errors) is normal with the fitted covariance.

    Parameters
    ----------
    fit : LmmResult
    kind : {"conditional", "marginal"}, default "conditional"
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValueError
        If ``kind`` is not one of the two.

    Examples
    --------
    >>> from lmmtext import lmm
    >>> from lmmtext.datasets import load_sleepstudy
    >>> fit = lmm("Reaction ~ Days + (Days | Subject)", load_sleepstudy())
    >>> ax = plot_qq_resid(fit, kind="marginal")
    >>> ax.get_lines()[0].get_ydata().size
    180
    """
    import matplotlib.pyplot as plt
    from scipy import stats

    from .diagnostics import conditional_residuals, marginal_residuals

    if kind == "conditional":
        r = conditional_residuals(fit, "pearson", scaled=True).to_numpy()
        text = label("척도화 피어슨 잔차", "scaled Pearson residual")
    elif kind == "marginal":
        r = marginal_residuals(fit, scaled=True).to_numpy()
        text = label("척도화 주변 잔차", "scaled marginal residual")
    else:
        raise ValueError(f"kind must be 'conditional' or 'marginal', got {kind!r}")
    if ax is None:
        _, ax = plt.subplots(figsize=(5.2, 5.0))
    q = stats.norm.ppf(_ppoints(r.size))
    ax.plot(q, np.sort(r), "o", ms=2.5, color="tab:blue", alpha=0.6)
    lim = np.array([q[0], q[-1]])
    ax.plot(lim, lim, color="0.4", lw=1, label="$y = x$")
    ax.set_xlabel(label("표준정규 분위수", "standard normal quantile"))
    ax.set_ylabel(text)
    ax.legend(frameon=False, fontsize=9, loc="upper left")
    return ax


def plot_qq_ranef(fit: Any, rng: Any, *, n_sim: int = 200, level: float = 0.95) -> Any:
    """Normal QQ plot of the BLUPs of each random effect, with a band simulated under the fit (Chapter 12).

    One panel per grouping factor and coefficient: the sorted conditional modes
    (BLUPs) ``b_hat`` against standard normal quantiles.  The BLUPs are *shrunk*
    toward 0, each by its own factor (smaller groups more), so even under the
    model they are not a sample from ``N(0, sigma_b^2)``: their QQ plot is
    flatter than the dashed line of that distribution, and bent where group
    sizes differ.  It is therefore not a plain normality test.  The band is the
    pointwise ``level`` range of the sorted BLUPs of ``n_sim`` responses
    simulated from the fitted model (:func:`lmmtext.diagnostics.simulate_ranef`):
    what the plot looks like when the model is right.  Points outside it are
    the evidence; a straight line is not the reference.

    Parameters
    ----------
    fit : LmmResult
    rng : numpy.random.Generator
    n_sim : int, default 200
    level : float, default 0.95
        Coverage of the pointwise band.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If ``level`` is not in (0, 1) or ``n_sim < 1``.
    TypeError
        If ``rng`` is not a Generator.

    Examples
    --------
    >>> from lmmtext import lmm
    >>> from lmmtext.datasets import load_sleepstudy
    >>> fit = lmm("Reaction ~ Days + (Days | Subject)", load_sleepstudy())
    >>> fig = plot_qq_ranef(fit, np.random.default_rng(12), n_sim=50)
    >>> [ax.get_title() for ax in fig.axes]
    ['Subject: Intercept', 'Subject: Days']
    """
    import matplotlib.pyplot as plt
    from scipy import stats

    from .diagnostics import simulate_ranef

    if not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1), got {level}")
    sims = simulate_ranef(fit, n_sim, rng)
    panels = [(name, k, col) for name, modes in fit.ranef.items() for k, col in enumerate(modes.columns)]
    ncols = min(3, len(panels))
    nrows = -(-len(panels) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.3 * ncols, 3.9 * nrows + 0.6), squeeze=False)
    lo, hi = (1 - level) / 2, (1 + level) / 2
    for ax, (name, k, col) in zip(axes.flat, panels):
        b = np.sort(fit.ranef[name][col].to_numpy())
        sim = np.sort(sims[name][:, :, k], axis=1)
        q = stats.norm.ppf(_ppoints(b.size))
        ax.fill_between(q, np.quantile(sim, lo, axis=0), np.quantile(sim, hi, axis=0), color="tab:blue",
                        alpha=0.2, lw=0,
                        label=label(f"모의 BLUP {level:.0%} 띠", f"simulated BLUPs, {level:.0%} band"))
        sd = float(np.sqrt(fit.covariance[name].loc[col, col]))
        ax.plot(q, sd * q, "--", color="0.4", lw=1, label="$N(0, \\hat\\sigma_b^2)$")
        ax.plot(q, b, "o", ms=3, color="tab:blue", label="BLUP")
        ax.set_title(f"{name}: {col}", fontsize=10)
        ax.set_xlabel(label("표준정규 분위수", "standard normal quantile"))
        ax.set_ylabel("BLUP")
    for ax in axes.flat[len(panels):]:
        ax.set_visible(False)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=3, frameon=False, fontsize=9)
    fig.tight_layout(rect=(0, 0.45 / (3.9 * nrows + 0.6), 1, 1))
    return fig
