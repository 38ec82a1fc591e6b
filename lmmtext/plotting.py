"""Figures of the book.

Labels are bilingual ("한국어 · English") because the Korean and English
chapters run identical code cells; the bundled Korean font (registered on
``import lmmtext``) renders the Korean part.
"""
from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["plot_shrinkage", "plot_shrinkage_factor"]


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
    ax.scatter(n_i, fixed, color="tab:orange", zorder=3, label="고정효과 추정 · fixed-effect estimate")
    ax.scatter(n_i, blup, color="tab:blue", zorder=3, label="BLUP")
    if truth is not None:
        ax.scatter(n_i, np.asarray(truth, dtype=float), marker="x", color="black", zorder=4,
                   label="참값 · true effect")
    ax.set_xscale("log")
    ax.set_xticks(n_i, [f"{n:g}" for n in n_i])
    ax.minorticks_off()
    ax.set_xlabel("집단 크기 · group size $n_i$")
    ax.set_ylabel("집단 효과 · group effect")
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
    ax.set_xlabel("집단 간 분산 · between-group variance $\\sigma_a^2$")
    ax.set_ylabel("축소 계수 · shrinkage factor $k_i$")
    ax.legend(frameon=False, fontsize=9)
    return ax
