"""Coverage of 95% prediction intervals in the crossed ScotsSec model (Chapter 14).

Writes ``lmmtext/data/study_prediction_coverage.csv``; load it with
``lmmtext.studies.load_study("prediction_coverage")``.  Run by ``make studies``
(about 10 minutes on one idle core), never by ``make test``.

Model: the REML fit of Chapter 14,
``attain ~ verbal + sex + social + (1 | primary) + (1 | second)`` on
``lmmtext.datasets.load_scotssec()`` (3,435 pupils, 148 primary and 19 secondary
schools), taken as the truth: ``beta``, ``sigma_a^2`` (primary), ``sigma_d^2``
(secondary) and ``sigma^2`` are its estimates.  For each of ``N_SIM = 1000``
replicates, seed 14 (``numpy.random.default_rng(14)``), draw new school effects
``alpha*`` (148) and ``delta*`` (19), a response ``y*`` on the 3,435 rows, and for
each row one new pupil with the same covariates; refit the model to ``y*``
(``fit.refit``) and compute, with the refit's estimates and ``z = 1.96``
(``scipy.stats.norm.ppf(0.975)``):

- ``pupil``: a new pupil in the row's primary and secondary school,
  ``x' beta_hat + alpha~_i + delta~_j +/- z sqrt(v_i + w_j + sigma_hat^2)``, with
  ``v_i``, ``w_j`` the conditional variances ``fit.ranef_var`` (eq. ``ch14-pi``);
- ``pupil_new_primary``: a pupil of a new primary school (a fresh ``alpha``) and the
  row's secondary school, ``x' beta_hat + delta~_j +/- z sqrt(sigma_hat_a^2 + w_j + sigma_hat^2)``;
- ``pupil_new_both``: a pupil of a new primary and a new secondary school,
  ``x' beta_hat +/- z sqrt(sigma_hat_a^2 + sigma_hat_d^2 + sigma_hat^2)`` (the marginal prediction);
- ``mean``: the conditional mean ``x' beta + alpha_i + delta_j`` of the row's profile
  and schools, ``x' beta_hat + alpha~_i + delta~_j +/- z sqrt(v_i + w_j)``;
- ``mean_full``: the same with the whole prediction error variance at the estimated
  ``theta``, ``var(x'(beta_hat - beta) + alpha~_i - alpha_i + delta~_j - delta_j)`` from the
  inverse of the mixed-model coefficient matrix (eq. ``ch14-pev-full``), which adds the
  uncertainty of ``beta_hat`` and the conditional covariance of ``alpha_i`` and ``delta_j``;
- ``primary``: ``alpha~_i +/- z sqrt(v_i)`` for ``alpha*_i`` (148 per replicate);
- ``second``: ``delta~_j +/- z sqrt(w_j)`` for ``delta*_j`` (19 per replicate); an
  estimate ``sigma_hat_d^2 = 0`` makes every such interval the single point 0.

One row per interval: ``coverage`` (the mean over replicates of the share of
intervals in the replicate that contain their target), ``mcse`` (the standard
deviation of those shares over replicates divided by ``sqrt(n_sim)``: the targets of
one replicate share school effects, so they are not independent),
``mean_halfwidth`` (mean half-width), ``singular`` (share of refits with
``sigma_hat_d^2 = 0`` or another boundary estimate), ``n_sim``, ``seed``.
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
from lmmtext.datasets import load_scotssec

SEED = 14
N_SIM = int(os.environ.get("N_SIM", 1000))
FORMULA = "attain ~ verbal + sex + social + (1 | primary) + (1 | second)"
OUT = pathlib.Path(__file__).resolve().parents[1] / "lmmtext" / "data" / "study_prediction_coverage.csv"
KINDS = ("pupil", "pupil_new_primary", "pupil_new_both", "mean", "mean_full", "primary", "second")


def full_pev(fit: lmmtext.lmm.LmmResult, X: np.ndarray, Z: np.ndarray) -> np.ndarray:
    """``var(x_r'(beta_hat - beta) + z_r'(b~ - b))`` for every row ``r``, at the fit's ``theta``.

    With ``Lambda = diag(theta)`` expanded over the levels, the errors ``(beta_hat - beta,
    u~ - u)`` have covariance ``sigma^2 M^{-1}`` with ``M = [X'X, X'Z Lambda; Lambda Z'X,
    Lambda Z'Z Lambda + I]`` (Henderson's equations in the spherical ``u``), so the row's
    error variance is ``sigma^2 a_r' M^{-1} a_r`` with ``a_r = (x_r, Lambda z_r)``.
    """
    lam = np.repeat(fit.theta, [fit.n_levels["primary"], fit.n_levels["second"]])
    A = np.hstack([X, Z * lam])
    M = A.T @ A
    M[X.shape[1]:, X.shape[1]:] += np.eye(Z.shape[1])
    return fit.sigma2 * np.sum(A * np.linalg.solve(M, A.T).T, axis=1)


def main() -> None:
    data = load_scotssec()
    fit = lmmtext.lmm(FORMULA, data)
    X = fit.frame.X
    ip, js = data["primary"].cat.codes.to_numpy(), data["second"].cat.codes.to_numpy()
    Z = np.hstack([np.eye(148)[ip], np.eye(19)[js]])
    n = len(data)
    mu = X @ fit.fixef.to_numpy()
    sa = np.sqrt(fit.covariance["primary"].iat[0, 0])
    sd = np.sqrt(fit.covariance["second"].iat[0, 0])
    s = np.sqrt(fit.sigma2)
    z = scipy.stats.norm.ppf(0.975)
    rng = np.random.default_rng(SEED)
    share = {k: np.empty(N_SIM) for k in KINDS}
    half = {k: np.empty(N_SIM) for k in KINDS}
    singular = np.empty(N_SIM, dtype=bool)
    start = time.perf_counter()
    with threadpool_limits(limits=1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for r in range(N_SIM):
            alpha, delta = rng.normal(0, sa, 148), rng.normal(0, sd, 19)
            mean = mu + alpha[ip] + delta[js]
            y = mean + rng.normal(0, s, n)
            y_new = mean + rng.normal(0, s, n)
            y_new_p = mu + rng.normal(0, sa, n) + delta[js] + rng.normal(0, s, n)
            y_new_b = mu + rng.normal(0, sa, n) + rng.normal(0, sd, n) + rng.normal(0, s, n)
            f = fit.refit(y)
            singular[r] = f.singular
            a_t = f.ranef["primary"]["Intercept"].to_numpy()
            d_t = f.ranef["second"]["Intercept"].to_numpy()
            v = f.ranef_var["primary"][:, 0, 0]
            w = f.ranef_var["second"][:, 0, 0]
            sa2_h, sd2_h = f.covariance["primary"].iat[0, 0], f.covariance["second"].iat[0, 0]
            xb = X @ f.fixef.to_numpy()
            cond = xb + a_t[ip] + d_t[js]
            pairs = {
                "pupil": (y_new, cond, v[ip] + w[js] + f.sigma2),
                "pupil_new_primary": (y_new_p, xb + d_t[js], sa2_h + w[js] + f.sigma2),
                "pupil_new_both": (y_new_b, xb, np.full(n, sa2_h + sd2_h + f.sigma2)),
                "mean": (mean, cond, v[ip] + w[js]),
                "mean_full": (mean, cond, full_pev(f, X, Z)),
                "primary": (alpha, a_t, v),
                "second": (delta, d_t, w),
            }
            for k, (target, centre, var) in pairs.items():
                h = z * np.sqrt(var)
                share[k][r] = np.mean(np.abs(target - centre) <= h)
                half[k][r] = np.mean(h)
            if (r + 1) % 100 == 0:
                print(f"{r + 1} replicates: {time.perf_counter() - start:.0f} s", flush=True)
    rows = [{"interval": k, "coverage": share[k].mean(),
             "mcse": share[k].std(ddof=1) / np.sqrt(N_SIM), "mean_halfwidth": half[k].mean(),
             "singular": singular.mean(), "n_sim": N_SIM, "seed": SEED} for k in KINDS]
    table = pd.DataFrame(rows)
    table.to_csv(OUT, index=False, float_format="%.6g")
    print(table.to_string())


if __name__ == "__main__":
    main()
