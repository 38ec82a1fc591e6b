"""Coverage of 95% intervals for the between-group variance of the one-way model (Chapter 11).

Writes ``lmmtext/data/study_variance_intervals.csv``; load it with
``lmmtext.studies.load_study("variance_intervals")``.  Run by ``make studies``
(about 10 minutes on one idle core), never by ``make test``.

Model: the balanced one-way model ``y_ij = mu + alpha_i + e_ij`` with ``a`` groups of
``n = 5``, ``mu = 0``, ``sigma^2 = 1``, ``sigma_a^2 = tau`` (so ``tau`` is the variance
ratio ``sigma_a^2 / sigma^2``); ``a`` = 6 (Dyestuff's six batches) and 24, ``tau`` =
0.25 and 1.  For each of ``N_SIM = 500`` data sets per setting, seed 11
(``numpy.random.default_rng(11)``, settings in the order of the table), five 95%
intervals for ``sigma_a^2`` are computed (Chapter 11):

- ``profile``: the likelihood-profile interval of ``sd_Intercept|g`` from
  ``lmmtext.lmm("y ~ 1 + (1 | g)").confint()`` (the ML profile; eq. ``ch11-profile-interval``),
  squared;
- ``mls``: the modified large-sample interval, ``lmmtext.oneway.between_variance_interval_mls``
  (Graybill-Wang; eq. ``ch11-oneway-mls``);
- ``satterthwaite``: ``nu s / chi2_{0.975}(nu)`` to ``nu s / chi2_{0.025}(nu)`` with
  ``s = (MSA - MSE) / n`` and ``nu = (n s)^2 / (MSA^2 / (a - 1) + MSE^2 / (a (n - 1)))``
  (eq. ``ch11-oneway-satt``); when ``s <= 0`` the interval is the single point 0;
- ``wald``: ``s -/+ 1.96 se`` with ``se^2 = 2 (MSA^2 / (a - 1) + MSE^2 / (a (n - 1))) / n^2``
  (the inverse REML information at the ANOVA estimates; eq. ``ch11-var-anova``), the lower
  end cut at 0;
- ``exact_ratio``: the exact interval for ``tau`` (``lmmtext.oneway.variance_ratio_interval``,
  eq. ``ch11-oneway-ratio``), as a check of the simulation (its coverage is 0.95 exactly).

One row per (a, tau, method): ``coverage`` (share of intervals containing the true
value), ``miss_below`` (share whose upper end is below it), ``miss_above`` (share whose
lower end is above it), ``mcse`` (``sqrt(c (1 - c) / n_sim)``), ``median_ratio`` (median
of upper / lower end over intervals with a positive lower end; empty if none),
``zero_lower`` (share of intervals with lower end 0), ``n_sim``, ``seed``.
"""
from __future__ import annotations

import os
import pathlib
import time
import warnings

import numpy as np
import pandas as pd
import scipy.stats
from threadpoolctl import threadpool_limits

import lmmtext
from lmmtext.oneway import anova_estimates, between_variance_interval_mls, simulate_oneway
from lmmtext.oneway import variance_ratio_interval

SEED = 11
N_SIM = int(os.environ.get("N_SIM", 500))
N = 5
SIZES = (6, 24)
TAUS = (0.25, 1.0)
LEVEL = 0.95
OUT = pathlib.Path(__file__).resolve().parents[1] / "lmmtext" / "data" / "study_variance_intervals.csv"
METHODS = ("profile", "mls", "satterthwaite", "wald", "exact_ratio")


def intervals(y: np.ndarray, g: np.ndarray, a: int) -> dict[str, tuple[float, float]]:
    """The five intervals of the module docstring for one data set (the last for tau)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = anova_estimates(y, g)
        frame = pd.DataFrame({"y": y, "g": pd.Categorical(g)})
        ci = lmmtext.lmm("y ~ 1 + (1 | g)", frame).confint(level=LEVEL)
    lo_sd, hi_sd = ci.loc["sd_Intercept|g"]
    msa, mse = est.ms_between, est.ms_within
    df1, df2 = a - 1, a * (N - 1)
    s = (msa - mse) / N
    q = msa**2 / df1 + mse**2 / df2
    if s > 0:
        nu = (N * s) ** 2 / q
        with np.errstate(divide="ignore"):  # nu below ~0.1: chi2_{0.025}(nu) = 0, upper end inf
            satt = (nu * s / scipy.stats.chi2.ppf(0.975, nu), nu * s / scipy.stats.chi2.ppf(0.025, nu))
    else:
        satt = (0.0, 0.0)
    se = np.sqrt(2.0 * q) / N
    z = scipy.stats.norm.ppf(0.975)
    return {
        "profile": (lo_sd**2, hi_sd**2),
        "mls": between_variance_interval_mls(y, g, LEVEL),
        "satterthwaite": satt,
        "wald": (max(s - z * se, 0.0), max(s + z * se, 0.0)),
        "exact_ratio": variance_ratio_interval(y, g, LEVEL),
    }


def main() -> None:
    rng = np.random.default_rng(SEED)
    rows = []
    start = time.perf_counter()
    with threadpool_limits(limits=1):
        for a in SIZES:
            for tau in TAUS:
                ends = {m: np.empty((N_SIM, 2)) for m in METHODS}
                for r in range(N_SIM):
                    y, g = simulate_oneway([N] * a, 0.0, np.sqrt(tau), 1.0, rng)
                    for m, (lo, hi) in intervals(y, g, a).items():
                        ends[m][r] = lo, hi
                for m in METHODS:
                    lo, hi = ends[m].T
                    cover = np.mean((lo <= tau) & (tau <= hi))
                    positive = lo > 0
                    rows.append({
                        "a": a, "n": N, "tau": tau, "method": m,
                        "coverage": cover,
                        "miss_below": np.mean(hi < tau),
                        "miss_above": np.mean(lo > tau),
                        "mcse": np.sqrt(cover * (1 - cover) / N_SIM),
                        "median_ratio": np.median(hi[positive] / lo[positive]) if positive.any() else np.nan,
                        "zero_lower": np.mean(lo == 0),
                        "n_sim": N_SIM, "seed": SEED,
                    })
                print(f"a = {a}, tau = {tau}: {time.perf_counter() - start:.0f} s", flush=True)
    table = pd.DataFrame(rows)
    table.to_csv(OUT, index=False, float_format="%.6g")
    print(table.to_string())


if __name__ == "__main__":
    main()
