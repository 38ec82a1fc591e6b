"""The cost of estimated variance components: mean squared error of the EBLUP (Chapter 11).

Writes ``lmmtext/data/study_variance_eblup.csv``; load it with
``lmmtext.studies.load_study("variance_eblup")``.  Run by ``make studies`` (about a
minute), never by ``make test``.

Model: the balanced one-way model ``y_ij = mu + alpha_i + e_ij`` with ``a`` groups of
``n = 5``, ``sigma^2 = 1``, ``sigma_a^2 = tau``; ``a`` = 6, 12, 30 and ``tau`` = 0.1,
0.25, 0.5, 1, 2.  ``N_SIM = 100000`` data sets per setting, seed 11
(``numpy.random.default_rng(11)``, settings in the order of the table, drawn in chunks
of 10,000).  The target is ``alpha_i`` (every group, averaged within a data set).

- BLUP (variance components known, ``mu`` estimated by ``ybar..``):
  ``k (ybar_i. - ybar..)``, ``k = n sigma_a^2 / (sigma^2 + n sigma_a^2)``; its mean
  squared error is ``g1 + g2`` (eq. ``ch11-pev-oneway``).
- EBLUP: ``k_hat (ybar_i. - ybar..)`` with ``k_hat = max(0, 1 - MSE / MSA)``, which is
  the REML plug-in in a balanced design (eq. ``ch11-eblup``).
- ``g3``: the Prasad-Rao approximation of ``E(EBLUP - BLUP)^2`` at the true values
  (eq. ``ch11-g3``).
- ``naive``: the mean over data sets of ``g1 + g2`` at the REML estimates;
  ``prasad_rao``: the mean of ``g1 + g2 + 2 g3`` at the REML estimates (eq. ``ch11-prasad-rao``).

One row per (a, tau): ``pev`` (``g1 + g2``), ``mse_blup``, ``mse_eblup``, ``diff2``
(mean of ``(EBLUP - BLUP)^2``), ``cross`` (mean of ``(BLUP - alpha)(EBLUP - BLUP)``),
``g3``, ``naive``, ``prasad_rao``, each mean with its Monte Carlo standard error
(columns ``se_<name>``, over data sets), ``n_sim``, ``seed``.
"""
from __future__ import annotations

import os
import pathlib

import numpy as np
import pandas as pd

SEED = 11
N_SIM = int(os.environ.get("N_SIM", 100_000))
CHUNK = 10_000
N = 5
SIZES = (6, 12, 30)
TAUS = (0.1, 0.25, 0.5, 1.0, 2.0)
OUT = pathlib.Path(__file__).resolve().parents[1] / "lmmtext" / "data" / "study_variance_eblup.csv"


def g_terms(s2a, s2, n, a):
    """``g1``, ``g2``, ``g3`` of the balanced one-way model (eqs. ``ch11-pev-oneway``, ``ch11-g3``)."""
    lam = s2 + n * s2a
    k = n * s2a / lam
    g1 = k * s2 / n
    g2 = k**2 * lam / (n * a)
    g3 = 2 * s2**2 * (a - 1) / (a * n * lam) * (1 / (a - 1) + 1 / (a * (n - 1)))
    return g1, g2, g3


def one_chunk(a: int, tau: float, size: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Per-data-set quantities for ``size`` simulated data sets."""
    alpha = rng.normal(0.0, np.sqrt(tau), (size, a))
    e = rng.normal(0.0, 1.0, (size, a, N))
    ybar_i = alpha + e.mean(axis=2)
    sse = ((e - e.mean(axis=2, keepdims=True)) ** 2).sum(axis=(1, 2))
    dev = ybar_i - ybar_i.mean(axis=1, keepdims=True)
    ssa = N * (dev**2).sum(axis=1)
    msa, mse = ssa / (a - 1), sse / (a * (N - 1))
    g1, g2, g3 = g_terms(tau, 1.0, N, a)
    k = N * tau / (1.0 + N * tau)
    k_hat = np.maximum(0.0, 1.0 - mse / msa)
    err_blup = k * dev - alpha
    err_eblup = k_hat[:, None] * dev - alpha
    # REML estimates: interior = ANOVA; at the boundary sigma_a^2 = 0, sigma^2 = SST / (N - 1).
    s2a_hat = np.maximum((msa - mse) / N, 0.0)
    s2_hat = np.where(msa > mse, mse, (ssa + sse) / (a * N - 1))
    h1, h2, h3 = g_terms(s2a_hat, s2_hat, N, a)
    return {
        "mse_blup": (err_blup**2).mean(axis=1),
        "mse_eblup": (err_eblup**2).mean(axis=1),
        "diff2": ((err_eblup - err_blup) ** 2).mean(axis=1),
        "cross": (err_blup * (err_eblup - err_blup)).mean(axis=1),
        "naive": h1 + h2,
        "prasad_rao": h1 + h2 + 2 * h3,
    }


def main() -> None:
    rng = np.random.default_rng(SEED)
    rows = []
    for a in SIZES:
        for tau in TAUS:
            parts = [one_chunk(a, tau, min(CHUNK, N_SIM - i), rng) for i in range(0, N_SIM, CHUNK)]
            g1, g2, g3 = g_terms(tau, 1.0, N, a)
            row = {"a": a, "n": N, "tau": tau, "pev": g1 + g2, "g3": g3}
            for name in parts[0]:
                values = np.concatenate([p[name] for p in parts])
                row[name] = values.mean()
                row[f"se_{name}"] = values.std(ddof=1) / np.sqrt(values.size)
            row.update(n_sim=N_SIM, seed=SEED)
            rows.append(row)
    table = pd.DataFrame(rows)
    table.to_csv(OUT, index=False, float_format="%.6g")
    print(table.to_string())


if __name__ == "__main__":
    main()
