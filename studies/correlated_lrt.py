"""Null distribution of the likelihood-ratio statistic for an AR(1) correlation, phi = 0 (Chapter 15).

Writes ``lmmtext/data/study_correlated_lrt.csv``; load it with
``lmmtext.studies.load_study("correlated_lrt")``.  Run by ``make studies`` (about
6 minutes on one core), never by ``make test``.

Model: nlme's ``Ovary`` design (11 mares, 308 rows; ``lmmtext.datasets.load_ovary``) with
``follicles ~ sin(2*pi*Time) + cos(2*pi*Time) + (1 | Mare)`` and independent errors, fitted
by REML to the real data; its estimates (``beta``, ``sigma_a^2``, ``sigma^2``) are the true
values.  Two designs: ``full`` (all 308 rows) and ``short`` (the first 6 rows of each mare,
66 rows), the null model refitted to each design's rows.  For each of ``N_SIM = 1000`` data
sets per design, seed 15 (``numpy.random.default_rng(15)``, ``full`` first), a response is
drawn from the null fit (``lmmtext.inference.simulate``) and both models are refitted by
REML (``fit.refit``): the null model and the same model with ``residual=AR1("Mare")``.
A replicate whose fit raises an error is kept with ``T = NaN``.  In the shipped run (about 6
minutes) no fit raised and every ``T`` is positive; before the residual-parameter search started
from a grid over ``phi``, two replicates of ``short`` (``rep`` 37 and 568) ended at ``phi = -1``
with ``T`` about -164 (``tests/test_residual.py`` keeps replicate 37 as a regression test).

One row per (design, replicate): ``design``, ``n`` (rows), ``rep``, ``T`` (``2 (l1 - l0)``,
REML log-likelihoods, not truncated at 0), ``phi`` (the AR(1) estimate of the larger
model), ``theta0`` and ``theta1`` (``sigma_a / sigma`` of the two fits), ``seed``.
Under the null hypothesis ``phi = 0`` lies inside ``(-1, 1)``, so ``T`` should be close to
chi-square with 1 degree of freedom.
"""
from __future__ import annotations

import os
import pathlib
import time
import warnings

import numpy as np
import pandas as pd

from lmmtext.datasets import load_ovary
from lmmtext.inference import simulate
from lmmtext.lmm import lmm
from lmmtext.residual import AR1

SEED = 15
N_SIM = int(os.environ.get("N_SIM", 1000))
FORMULA = "follicles ~ sin(2*pi*Time) + cos(2*pi*Time) + (1 | Mare)"
OUT = pathlib.Path(__file__).resolve().parents[1] / "lmmtext" / "data" / "study_correlated_lrt.csv"


def designs() -> dict[str, pd.DataFrame]:
    ovary = load_ovary()
    short = ovary.groupby("Mare", observed=True).head(6).reset_index(drop=True)
    return {"full": ovary, "short": short}


def main() -> None:
    rng = np.random.default_rng(SEED)
    rows = []
    start = time.time()
    for name, data in designs().items():
        null = lmm(FORMULA, data)
        alt = lmm(FORMULA, data, residual=AR1("Mare"))
        for rep in range(N_SIM):
            y = simulate(null, data, rng)
            row = {"design": name, "n": len(data), "rep": rep, "T": np.nan, "phi": np.nan,
                   "theta0": np.nan, "theta1": np.nan, "seed": SEED}
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    f0, f1 = null.refit(y), alt.refit(y)
                row.update({"T": 2.0 * (f1.loglik - f0.loglik),
                            "phi": f1.residual_params["AR1"]["phi"],
                            "theta0": float(f0.theta[0]), "theta1": float(f1.theta[0])})
            except (ValueError, np.linalg.LinAlgError) as err:  # recorded as a failed fit (T = NaN)
                print(f"{name} replicate {rep}: {err}", flush=True)
            rows.append(row)
            if rep % 100 == 99:
                print(f"{name}: {rep + 1} replicates, {time.time() - start:.0f} s", flush=True)
    table = pd.DataFrame(rows)
    table.to_csv(OUT, index=False, float_format="%.8g")
    print(table.groupby("design")["T"].describe())


if __name__ == "__main__":
    main()
