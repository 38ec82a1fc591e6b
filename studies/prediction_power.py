"""Power of a planned school-randomised study, by simulation and in closed form (Chapter 14).

Writes ``lmmtext/data/study_prediction_power.csv``; load it with
``lmmtext.studies.load_study("prediction_power")``.  Run by ``make studies``
(about 10 minutes on one idle core), never by ``make test``.

The planned study: ``a`` primary schools, half of them (``trt = 1``) given a new reading
programme, ``m`` pupils tested in each; the model is
``attain ~ trt + (1 | school)`` with the values Chapter 14 takes from the ScotsSec fit,
rounded: intercept 5.7, ``sigma_a^2 = 0.22`` (primary schools), ``sigma^2 = 4.2``, and a
programme effect ``beta = 0.5`` (power) or ``beta = 0`` (size).  For ``a`` in 10, 20, 40,
80 and ``m`` in 10, 40, ``lmmtext.diagnostics.power_simulation`` with ``ddf=None``
(Wald z test, alpha = 0.05, REML refits) and ``N_SIM = 1000`` data sets per setting,
seed 14 (one ``numpy.random.default_rng(14)`` for the whole table, settings in its
order).

Closed forms, for comparison (Chapter 14, eqs. ``ch14-power-z`` and ``ch14-power-t``),
with ``se = sqrt(4 (sigma_a^2 + sigma^2 / m) / a)``:

- ``closed_z``: the z test with *known* variances,
  ``Phi(beta / se - z) + Phi(-beta / se - z)``, ``z = 1.96``;
- ``closed_t``: the Wald z test with REML estimates.  In this balanced design, when
  the REML estimate of ``sigma_a^2`` is positive, ``beta_hat / se_hat`` is the
  two-sample t statistic of the school means, noncentral t with ``a - 2`` degrees of
  freedom and noncentrality ``beta / se``; so the rejection rate is
  ``P(|t_{a-2}(beta / se)| > 1.96)``.  It is exact but for the data sets in which
  ``sigma_hat_a^2 = 0``; their probability, ``P(F_{a-2, a(m-1)} < 1 / (1 + m sigma_a^2 / sigma^2))``,
  is the column ``p_boundary``.

One row per (beta, a, m): ``rate`` (rejection rate), ``mcse``
(``sqrt(rate (1 - rate) / n_sim)``), ``closed_t``, ``closed_z``, ``p_boundary``,
``singular`` (share of singular refits), ``n_sim`` (data sets refitted), ``failed``
(data sets whose refit raised an error and are left out), ``seed``.

Each data set is simulated by its own call ``power_simulation(..., n_sim=1)``: the
optimiser of ``lmmtext.pls`` (December 2026) raises ``ValueError: need at least one
array to concatenate`` in its face search on a few of these data sets, and one such
refit would otherwise end the whole setting.  The random numbers are drawn in the
same order as with one call.
"""
from __future__ import annotations

import os
import pathlib
import time

import numpy as np
import pandas as pd
import scipy.stats
from threadpoolctl import threadpool_limits

from lmmtext.diagnostics import AssumedModel, power_simulation

SEED = 14
N_SIM = int(os.environ.get("N_SIM", 1000))
SIGMA_A2, SIGMA2, INTERCEPT = 0.22, 4.2, 5.7
EFFECTS = (0.5, 0.0)
SCHOOLS = (10, 20, 40, 80)
PUPILS = (10, 40)
OUT = pathlib.Path(__file__).resolve().parents[1] / "lmmtext" / "data" / "study_prediction_power.csv"


def design(a: int, m: int) -> pd.DataFrame:
    """``a`` schools of ``m`` pupils, every other school treated."""
    return pd.DataFrame({"school": np.repeat([f"s{i}" for i in range(a)], m),
                         "trt": np.repeat(np.arange(a) % 2, m)})


def closed_forms(beta: float, a: int, m: int) -> tuple[float, float, float]:
    """(closed_t, closed_z, p_boundary) of the module docstring."""
    se = np.sqrt(4 * (SIGMA_A2 + SIGMA2 / m) / a)
    z = scipy.stats.norm.ppf(0.975)
    ncp = beta / se
    closed_z = scipy.stats.norm.cdf(ncp - z) + scipy.stats.norm.cdf(-ncp - z)
    closed_t = scipy.stats.nct.sf(z, a - 2, ncp) + scipy.stats.nct.cdf(-z, a - 2, ncp)
    p_boundary = scipy.stats.f.cdf(1 / (1 + m * SIGMA_A2 / SIGMA2), a - 2, a * (m - 1))
    return float(closed_t), float(closed_z), float(p_boundary)


def main() -> None:
    rng = np.random.default_rng(SEED)
    rows = []
    start = time.perf_counter()
    with threadpool_limits(limits=1):
        for beta in EFFECTS:
            model = AssumedModel("attain ~ trt + (1 | school)", {"Intercept": INTERCEPT, "trt": beta},
                                 {"school": SIGMA_A2}, SIGMA2)
            for a in SCHOOLS:
                for m in PUPILS:
                    plan = design(a, m)
                    reject, singular, failed = [], 0, 0
                    for _ in range(N_SIM):
                        try:
                            res = power_simulation(model, plan, "trt", 1, rng, ddf=None)
                        except ValueError:
                            failed += 1
                            continue
                        reject.append(res.power)
                        singular += res.n_singular
                    n = len(reject)
                    rate = float(np.mean(reject))
                    closed_t, closed_z, p_boundary = closed_forms(beta, a, m)
                    rows.append({"beta": beta, "a": a, "m": m, "rate": rate,
                                 "mcse": np.sqrt(rate * (1 - rate) / n),
                                 "closed_t": closed_t, "closed_z": closed_z, "p_boundary": p_boundary,
                                 "singular": singular / n, "n_sim": n, "failed": failed, "seed": SEED})
                    print(f"beta = {beta}, a = {a}, m = {m}: {time.perf_counter() - start:.0f} s",
                          flush=True)
    table = pd.DataFrame(rows)
    table.to_csv(OUT, index=False, float_format="%.6g")
    print(table.to_string())


if __name__ == "__main__":
    main()
