"""A random intercept correlated with a covariate's group mean: the within/between split (Chapter 13).

Writes ``lmmtext/data/study_building_mundlak.csv``; load it with
``lmmtext.studies.load_study("building_mundlak")``.  Run by ``make studies`` (several
minutes on two cores), never by ``make test``.

Model (Exam-like scales): ``a = 65`` schools of ``n`` pupils, ``n`` = 5, 20, 60.  In school
``i`` the covariate is ``x_ij = m_i + w_ij`` with ``m_i ~ N(0, 0.3^2)`` and the deviations
``w_ij ~ N(0, 0.95^2)`` centred within the school, so the school mean of ``x`` is exactly
``m_i``.  The response is ``y_ij = 0.5 x_ij + b_i + e_ij`` with ``e_ij ~ N(0, 0.75^2)`` and a
random intercept correlated with the school mean,
``b_i = 0.3 (c m_i / 0.3 + sqrt(1 - c^2) u_i)``, ``u_i ~ N(0, 1)``, ``c`` = 0 or 0.6: the
intercept has SD 0.3 and correlation ``c`` with ``m_i``, and ``E(b_i | m_i) = delta m_i``
with ``delta = c``.  The pupil-level (within) effect and the school-level effect of ``x``
are both ``beta = 0.5``; a model that conditions on ``m_i`` sees a school-level slope
``beta + delta``.  A new design is drawn for every data set.

Each data set is fitted by REML with ``lmmtext.lmm`` twice:

- ``naive``: ``y ~ x + (1 | g)`` (the random-intercept model, which assumes ``E(b | x) = 0``);
- ``mundlak``: ``y ~ I(x - xbar) + xbar + (1 | g)`` (group-mean centring with the mean added);
  ``within`` is its coefficient of ``I(x - xbar)``, ``between`` that of ``xbar``.

``within_ols`` is the fixed-effects (school dummies) estimator
``sum (x - xbar)(y - ybar_i) / sum (x - xbar)^2``; ``max_abs_diff_within`` the largest
``|within - within_ols|`` over the data sets (0 up to rounding: eq. ``ch13-within-exact``).
``lambda`` is the mean of the weight ``S_ww / (S_ww + psi S_bb)`` of the within estimator
in the naive fit, ``psi = sigma^2 / (sigma^2 + n sigma_b^2)`` at its estimates
(eq. ``ch13-mix``).  Coverage is that of the Wald interval ``estimate +- 1.96 se`` for
``beta = 0.5``.

``N_SIM = 500`` data sets per setting (environment variable ``N_SIM``), seed 13: setting
``(n, c)`` draws from ``numpy.random.default_rng([13, n, round(100 c)])``, so the settings
can be run in any order or in parallel (``python studies/building_mundlak.py 5 20 60``
runs the listed sizes and writes the rows of all sizes found in ``study_building_mundlak.part*``).  One row per
(n, c): ``a``, ``n``, ``c``, ``delta``, ``n_sim``, and for ``naive``, ``within``,
``between`` the mean estimate (``mean_<name>``) and its Monte Carlo standard error
(``mcse_<name>``), ``coverage_naive``, ``coverage_within``, ``lambda``,
``max_abs_diff_within``, ``n_singular`` (naive fits with a zero intercept variance),
``seed``.
"""
from __future__ import annotations

import os
import pathlib
import warnings

import numpy as np
import pandas as pd

from lmmtext.lmm import lmm

SEED = 13
N_SIM = int(os.environ.get("N_SIM", 500))
A = 65
SIZES = (5, 20, 60)
CORRELATIONS = (0.0, 0.6)
BETA, SD_B, SIGMA, SD_M, SD_W = 0.5, 0.3, 0.75, 0.3, 0.95
OUT = pathlib.Path(__file__).resolve().parents[1] / "lmmtext" / "data" / "study_building_mundlak.csv"


def simulate_schools(a: int, n: int, c: float, rng: np.random.Generator) -> pd.DataFrame:
    """One data set: ``a`` schools of ``n`` pupils, intercepts correlated ``c`` with the school means."""
    m = rng.normal(0.0, SD_M, a)
    w = rng.normal(0.0, SD_W, (a, n))
    w -= w.mean(axis=1, keepdims=True)
    x = m[:, None] + w
    b = SD_B * (c * m / SD_M + np.sqrt(1.0 - c**2) * rng.standard_normal(a))
    y = BETA * x + b[:, None] + rng.normal(0.0, SIGMA, (a, n))
    return pd.DataFrame({"y": y.ravel(), "x": x.ravel(), "xbar": np.repeat(m, n),
                         "g": np.repeat([f"s{i}" for i in range(a)], n)})


def one_setting(n: int, c: float, rng: np.random.Generator) -> dict[str, float]:
    est = np.empty((N_SIM, 3))
    cover = np.empty((N_SIM, 2), dtype=bool)
    lam = np.empty(N_SIM)
    diff = np.empty(N_SIM)
    singular = 0
    for k in range(N_SIM):
        d = simulate_schools(A, n, c, rng)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="boundary \\(singular\\) fit")
            naive = lmm("y ~ x + (1 | g)", d)
            mund = lmm("y ~ I(x - xbar) + xbar + (1 | g)", d)
        singular += naive.singular
        est[k] = [naive.fixef["x"], mund.fixef.iloc[1], mund.fixef["xbar"]]
        se = np.array([naive.fixef_se["x"], mund.fixef_se.iloc[1]])
        cover[k] = np.abs(est[k, :2] - BETA) < 1.96 * se
        dx = (d["x"] - d["xbar"]).to_numpy()
        dy = (d["y"] - d.groupby("g")["y"].transform("mean")).to_numpy()
        diff[k] = abs(est[k, 1] - dx @ dy / (dx @ dx))
        s_ww = dx @ dx
        s_bb = n * np.sum((d["xbar"].to_numpy()[::n] - d["xbar"].mean()) ** 2)
        s2b = naive.covariance["g"].iat[0, 0]
        psi = naive.sigma2 / (naive.sigma2 + n * s2b)
        lam[k] = s_ww / (s_ww + psi * s_bb)
    row = {"a": A, "n": n, "c": c, "delta": c * SD_B / SD_M, "n_sim": N_SIM}
    for j, name in enumerate(("naive", "within", "between")):
        row[f"mean_{name}"] = est[:, j].mean()
        row[f"mcse_{name}"] = est[:, j].std(ddof=1) / np.sqrt(N_SIM)
    row["coverage_naive"], row["coverage_within"] = cover.mean(axis=0)
    row["lambda"] = lam.mean()
    row["max_abs_diff_within"] = diff.max()
    row["n_singular"] = singular
    row["seed"] = SEED
    return row


def main(sizes: tuple[int, ...] = SIZES) -> None:
    for n in sizes:
        rows = []
        for c in CORRELATIONS:
            rng = np.random.default_rng([SEED, n, round(100 * c)])
            rows.append(one_setting(n, c, rng))
            print(rows[-1], flush=True)
        pd.DataFrame(rows).to_csv(OUT.with_suffix(f".part{n}"), index=False, float_format="%.8g")
    parts = sorted(OUT.parent.glob(OUT.stem + ".part*"), key=lambda p: int(p.suffix[5:]))
    if {int(p.suffix[5:]) for p in parts} >= set(SIZES):
        pd.concat([pd.read_csv(p) for p in parts]).to_csv(OUT, index=False, float_format="%.8g")
        for p in parts:
            p.unlink()
        print(f"wrote {OUT}")


if __name__ == "__main__":
    import sys

    main(tuple(int(v) for v in sys.argv[1:]) or SIZES)
