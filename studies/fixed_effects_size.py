"""Size of four tests of one fixed effect in a random-slope model (Chapter 10).

Writes ``lmmtext/data/study_fixed_size.csv``; load it with
``lmmtext.studies.load_study("fixed_size")``.  Run by ``make studies`` (about 10
minutes on one core), never by ``make test``.

Model (the sleepstudy fit of Chapter 8 with the slope set to 0, the null hypothesis):
``y_ij = beta_0 + b_0i + b_1i t_j + e_ij``, ``beta_0 = 251.4``, ``(b_0i, b_1i)``
normal with standard deviations 24.74 and 5.92 and correlation 0.066, ``e_ij``
normal with standard deviation 25.59.  Each subject ``i = 1, ..., a`` is observed on
days ``t = 0, ..., m_i - 1``: ``m_i = 10`` in the balanced design, ``m_i = 3 + (i - 1)
mod 8`` (3 to 10 days, as with dropout) in the unbalanced one; ``a`` = 4, 6, 10, 20.

For each of ``N_SIM = 1000`` data sets (environment variable ``N_SIM``) per design, seed 10
(``numpy.random.default_rng(10)``, settings in the order of the table), the slope
``beta_1 = 0`` is tested at the 5% level by

- ``wald``: z = estimate / standard error of the REML fit, against N(0, 1);
- ``lrt``: the likelihood ratio of ``Reaction ~ 1 + (Days | Subject)`` against
  ``Reaction ~ Days + (Days | Subject)``, both fitted by ML, against chi-square(1);
- ``satterthwaite`` and ``kenward_roger``: the REML t statistic against t with
  Satterthwaite's and Kenward-Roger's degrees of freedom.

One row per (design, a, method): ``rejection`` (share of p-values below 0.05),
``mcse`` (its Monte Carlo standard error, sqrt(r (1 - r) / n_sim)), ``n_sim``,
``mean_df`` (mean denominator df; empty for wald and lrt), ``mean_df_interior`` and
``mean_df_singular`` (the same over the interior and over the singular REML fits), ``singular`` (share of
singular REML fits) and ``not_converged`` (share of REML fits the optimiser's checks
flag as not converged; they are kept, as a user would keep them).
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
from lmmtext.inference import fit, lrt

SEED = 10
N_SIM = int(os.environ.get("N_SIM", 1000))
SIZES = (4, 6, 10, 20)
DESIGNS = ("balanced", "unbalanced")
BETA0, SD0, SD1, RHO, SIGMA = 251.4, 24.74, 5.92, 0.066, 25.59
LEVEL = 0.05
OUT = pathlib.Path(__file__).resolve().parents[1] / "lmmtext" / "data" / "study_fixed_size.csv"


def design(kind: str, a: int) -> pd.DataFrame:
    """Subjects ``s01``..., days ``0..m_i-1`` (``m_i`` as in the module docstring)."""
    days = [10] * a if kind == "balanced" else [3 + i % 8 for i in range(a)]
    rows = [(f"s{i + 1:02d}", t) for i, m in enumerate(days) for t in range(m)]
    return pd.DataFrame(rows, columns=["Subject", "Days"])


def simulate(frame: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    cov = np.array([[SD0**2, RHO * SD0 * SD1], [RHO * SD0 * SD1, SD1**2]])
    codes = frame["Subject"].astype("category").cat.codes.to_numpy()
    b = rng.multivariate_normal(np.zeros(2), cov, size=codes.max() + 1)
    t = frame["Days"].to_numpy(dtype=float)
    return BETA0 + b[codes, 0] + b[codes, 1] * t + SIGMA * rng.standard_normal(t.size)


def run_setting(kind: str, a: int, rng: np.random.Generator) -> list[dict]:
    frame = design(kind, a)
    frame["Reaction"] = simulate(frame, rng)
    reml = lmmtext.lmm("Reaction ~ Days + (Days | Subject)", frame)
    ml0 = fit("Reaction ~ 1 + (Days | Subject)", frame, method="ML")
    ml1 = fit("Reaction ~ Days + (Days | Subject)", frame, method="ML")
    p = {m: np.empty(N_SIM) for m in ("wald", "lrt", "satterthwaite", "kenward_roger")}
    df = {m: np.empty(N_SIM) for m in ("satterthwaite", "kenward_roger")}
    singular = np.empty(N_SIM, dtype=bool)
    converged = np.empty(N_SIM, dtype=bool)
    for k in range(N_SIM):
        y = frame["Reaction"].to_numpy() if k == 0 else simulate(frame, rng)
        r = reml.refit(y)
        singular[k], converged[k] = r.singular, r.converged
        z = r.coef_table(ddf=None)
        p["wald"][k] = z.loc["Days", "Pr(>|z|)"]
        for name, ddf in (("satterthwaite", "Satterthwaite"), ("kenward_roger", "Kenward-Roger")):
            tab = r.coef_table(ddf=ddf)
            p[name][k] = tab.loc["Days", "Pr(>|t|)"]
            df[name][k] = tab.loc["Days", "df"]
        p["lrt"][k] = lrt(ml0.refit(y), ml1.refit(y)).p_value
    rows = []
    for method, pv in p.items():
        r = float(np.mean(pv < LEVEL))
        rows.append({"design": kind, "a": a, "method": method, "rejection": r,
                     "mcse": float(np.sqrt(r * (1 - r) / N_SIM)), "n_sim": N_SIM,
                     "mean_df": float(np.mean(df[method])) if method in df else np.nan,
                     "mean_df_interior": (float(np.mean(df[method][~singular]))
                                          if method in df and (~singular).any() else np.nan),
                     "mean_df_singular": (float(np.mean(df[method][singular]))
                                          if method in df and singular.any() else np.nan),
                     "singular": float(singular.mean()),
                     "not_converged": float(1 - converged.mean())})
    return rows


def main() -> None:
    rng = np.random.default_rng(SEED)
    rows = []
    start = time.perf_counter()
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="boundary \\(singular\\) fit")
        warnings.filterwarnings("ignore", message="the fit of .* did not converge")
        for kind in DESIGNS:
            for a in SIZES:
                rows += run_setting(kind, a, rng)
                print(f"{kind} a={a}: {time.perf_counter() - start:.0f} s", flush=True)
    table = pd.DataFrame(rows)
    table.to_csv(OUT, index=False, float_format="%.6g")
    print(table.to_string())


if __name__ == "__main__":
    main()
