"""Residual structures ``cov(e) = sigma^2 S C S`` (:mod:`lmmtext.residual`, Chapter 15).

Reference values: nlme 3.1-162 on R 4.2.2 (Debian), tightly converged
(``lmeControl(maxIter = 1000, msMaxIter = 1000, niterEM = 100, tolerance = 1e-12,
msTol = 1e-14, msMaxEval = 5000)``, the same for ``glsControl``), produced by
``tests/r/nlme_residual.R`` into ``tests/data/nlme_residual.json``; the data are
nlme's ``BodyWeight``, ``Orthodont`` and ``Ovary`` and lme4's ``sleepstudy``,
exported by the same script.  The R calls:

    lme(Reaction ~ Days, random = ~ 1 | Subject,
        correlation = corAR1(form = ~ 1 | Subject), data = sleepstudy, method = m)
    lme(weight ~ Time * Diet, random = ~ Time | Rat,
        correlation = corCAR1(form = ~ Time | Rat), data = BodyWeight, method = m)
    lme(distance ~ age * Sex, random = ~ 1 | Subject,
        weights = varIdent(form = ~ 1 | Sex), data = Orthodont, method = m)
    gls(follicles ~ sin(2 * pi * Time) + cos(2 * pi * Time),
        correlation = corAR1(form = ~ 1 | Mare), data = Ovary, method = m)
"""
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lmmtext import lmm
from lmmtext.datasets import load_bodyweight, load_orthodont, load_ovary, load_sleepstudy
from lmmtext.inference import simulate
from lmmtext.likelihood import loglik_ml, loglik_reml
from lmmtext.residual import AR1, CAR1, VarIdent, bind

DATA = Path(__file__).parent / "data"
R = json.loads((DATA / "nlme_residual.json").read_text())


bodyweight, orthodont, ovary = load_bodyweight, load_orthodont, load_ovary


def assert_matches_nlme(fit, ref: dict) -> None:
    np.testing.assert_allclose(fit.fixef.to_numpy(), list(ref["fixef"].values()), rtol=1e-5)
    np.testing.assert_allclose(fit.sigma2, ref["sigma2"], rtol=1e-5)
    np.testing.assert_allclose(fit.loglik, ref["loglik"], rtol=1e-5)
    if "varcov" in ref:
        (cov,) = fit.covariance.values()
        np.testing.assert_allclose(cov.to_numpy().ravel(), ref["varcov"], rtol=1e-5)


METHODS = ["REML", "ML"]


@pytest.mark.parametrize("method", METHODS)
def test_ar1_with_a_random_intercept_matches_nlme(method):
    fit = lmm("Reaction ~ Days + (1 | Subject)", load_sleepstudy(), method, residual=AR1("Subject"))
    ref = R[f"sleep_ar1_{method}"]
    assert_matches_nlme(fit, ref)
    np.testing.assert_allclose(fit.residual_params["AR1"]["phi"], ref["phi"], rtol=1e-4)


@pytest.mark.parametrize("method", METHODS)
def test_car1_with_correlated_random_slopes_matches_nlme(method):
    fit = lmm("weight ~ Time * Diet + (Time | Rat)", bodyweight(), method,
              residual=CAR1(time="Time", group="Rat"))
    ref = R[f"bw_car1_{method}"]
    assert_matches_nlme(fit, ref)
    np.testing.assert_allclose(fit.residual_params["CAR1"]["phi"], ref["phi"], rtol=1e-4)


@pytest.mark.parametrize("method", METHODS)
def test_varident_with_a_random_intercept_matches_nlme(method):
    fit = lmm("distance ~ age * Sex + (1 | Subject)", orthodont(), method, residual=VarIdent("Sex"))
    ref = R[f"orth_varident_{method}"]
    assert_matches_nlme(fit, ref)
    assert list(fit.residual_params["VarIdent"]) == ["Male", "Female"]
    np.testing.assert_allclose(list(fit.residual_params["VarIdent"].values()),
                               list(ref["ratios"].values()), rtol=1e-4)


@pytest.mark.parametrize("method", METHODS)
def test_gls_with_ar1_errors_matches_nlme(method):
    fit = lmm("follicles ~ sin(2*pi*Time) + cos(2*pi*Time)", ovary(), method, residual=AR1("Mare"))
    ref = R[f"ovary_gls_{method}"]
    assert_matches_nlme(fit, ref)
    np.testing.assert_allclose(fit.residual_params["AR1"]["phi"], ref["phi"], rtol=1e-4)


def test_phi_zero_and_unit_ratios_give_the_plain_model():
    s = load_sleepstudy()
    plain = lmm("Reaction ~ Days + (Days | Subject)", s)
    bound = bind([AR1("Subject"), VarIdent("Subject")], s)
    A, logdet = bound.whitening(np.zeros(bound.n_params))
    np.testing.assert_allclose(A.toarray(), np.eye(len(s)))
    assert logdet == 0.0
    np.testing.assert_allclose(plain.system.objective(plain.theta, True), plain.reml_criterion)


def dense_cov(fit, data: pd.DataFrame) -> np.ndarray:
    """``Z D Z' + sigma^2 S C S`` built entry by entry from the fitted parameters."""
    Z = np.column_stack([t.Z.toarray() for t in fit.frame.terms])
    D = np.zeros((Z.shape[1], Z.shape[1]))
    pos = 0
    for t, cov in zip(fit.frame.terms, fit.covariance.values()):
        k = t.q
        D[pos:pos + k, pos:pos + k] = np.kron(np.eye(t.n_levels), cov.to_numpy())
        pos += k
    g = data["Subject"].to_numpy()
    params = fit.residual_params
    phi = params.get("AR1", {}).get("phi", 0.0)
    pos_in_group = data.groupby("Subject", observed=True).cumcount().to_numpy()
    C = np.where(g[:, None] == g[None, :],
                 phi ** np.abs(pos_in_group[:, None] - pos_in_group[None, :]), 0.0)
    ratios = params.get("VarIdent")
    delta = np.ones(len(data)) if ratios is None else data["Sex"].astype(str).map(ratios).to_numpy()
    return Z @ D @ Z.T + fit.sigma2 * np.outer(delta, delta) * C


@pytest.mark.parametrize("method", METHODS)
def test_whitened_criterion_equals_the_dense_likelihood_with_ar1(method):
    s = load_sleepstudy()
    fit = lmm("Reaction ~ Days + (1 | Subject)", s, method, residual=AR1("Subject"))
    V = dense_cov(fit, s)
    y, X = fit.frame.y, fit.frame.X
    dense = loglik_reml(y, X, V) if method == "REML" else loglik_ml(y, X, V)
    np.testing.assert_allclose(fit.loglik, dense, rtol=1e-10)


def test_whitened_criterion_equals_the_dense_likelihood_with_varident():
    d = orthodont()
    fit = lmm("distance ~ age + (1 | Subject)", d, "ML", residual=VarIdent("Sex"))
    np.testing.assert_allclose(fit.loglik, loglik_ml(fit.frame.y, fit.frame.X, dense_cov(fit, d)),
                               rtol=1e-10)


def test_ar1_raises_the_likelihood_and_counts_phi_as_a_parameter():
    s = load_sleepstudy()
    plain = lmm("Reaction ~ Days + (1 | Subject)", s)
    ar1 = lmm("Reaction ~ Days + (1 | Subject)", s, residual=AR1("Subject"))
    assert ar1.loglik > plain.loglik
    assert ar1.n_params == plain.n_params + 1  # phi


def test_simulated_errors_have_the_ar1_correlation():
    rng = np.random.default_rng(15)
    bound = bind(AR1("g"), pd.DataFrame({"g": np.repeat(np.arange(400), 5)}))
    z = np.array([np.arctanh(0.6)])
    e = np.stack([bound.correlated(z, rng.standard_normal(2000)) for _ in range(20)])
    lag1 = e.reshape(20, 400, 5)
    r = np.corrcoef(lag1[:, :, :-1].ravel(), lag1[:, :, 1:].ravel())[0, 1]
    se = (1 - 0.6**2) / np.sqrt(20 * 400 * 4)
    assert abs(r - 0.6) < 3 * se * 3  # lag pairs within a series are dependent: a generous 3x
    np.testing.assert_allclose(e.var(), 1.0, atol=0.05)


def test_summary_shows_the_structure():
    fit = lmm("distance ~ age + (1 | Subject)", orthodont(), residual=VarIdent("Sex"))
    assert "VarIdent: Male: 1, Female: 0.4" in fit.summary()


def test_refit_keeps_the_structure():
    s = load_sleepstudy()
    fit = lmm("Reaction ~ Days + (1 | Subject)", s, residual=AR1("Subject"))
    np.testing.assert_allclose(fit.refit(fit.frame.y).loglik, fit.loglik, rtol=1e-9)


# -- bad input -------------------------------------------------------------------------------
def test_car1_repeated_times_are_refused_naming_the_group():
    d = bodyweight().astype({"Rat": str})
    d.loc[1, "Time"] = d.loc[0, "Time"]
    with pytest.raises(ValueError, match=r"group '1' has repeated times in 'Time'"):
        lmm("weight ~ Time + (1 | Rat)", d, residual=CAR1("Time", "Rat"))


def test_varident_level_with_one_observation_is_refused():
    d = orthodont()
    d["Sex"] = d["Sex"].cat.add_categories("Other")
    d.loc[0, "Sex"] = "Other"
    with pytest.raises(ValueError, match=r"level\(s\) \['Other'\] have one observation"):
        lmm("distance ~ age + (1 | Subject)", d, residual=VarIdent("Sex"))


def test_ar1_with_every_group_of_one_is_refused():
    d = load_sleepstudy().assign(row=lambda f: np.arange(len(f)))
    with pytest.raises(ValueError, match="every group has one observation"):
        lmm("Reaction ~ Days + (1 | Subject)", d, residual=AR1("row"))


def test_unknown_structure_is_a_type_error():
    with pytest.raises(TypeError, match="residual must be AR1, CAR1 or VarIdent"):
        lmm("Reaction ~ Days + (1 | Subject)", load_sleepstudy(), residual="ar1")


def test_two_correlation_structures_are_refused():
    with pytest.raises(ValueError, match="give one"):
        lmm("weight ~ Time + (1 | Rat)", bodyweight(), residual=[AR1("Rat"), CAR1("Time", "Rat")])


def test_missing_structure_column_is_named():
    with pytest.raises(ValueError, match=r"column\(s\) \['Mare'\]"):
        lmm("Reaction ~ Days + (1 | Subject)", load_sleepstudy(), residual=AR1("Mare"))


def test_simulate_draws_errors_with_the_fitted_structure():
    s = load_sleepstudy()
    fit = lmm("Reaction ~ Days + (1 | Subject)", s, residual=AR1("Subject"))
    rng = np.random.default_rng(15)
    y = np.stack([simulate(fit, s, rng) for _ in range(400)])
    resid = (y - fit.predict(s, re=False).to_numpy()).reshape(400, 18, 10)
    within = resid - resid.mean(axis=2, keepdims=True)
    # lag-1 correlation of the within-subject deviations is positive under AR(1), about 0 without
    r = np.corrcoef(within[:, :, :-1].ravel(), within[:, :, 1:].ravel())[0, 1]
    plain = lmm("Reaction ~ Days + (1 | Subject)", s)
    y0 = np.stack([simulate(plain, s, rng) for _ in range(400)])
    w0 = (y0 - plain.predict(s, re=False).to_numpy()).reshape(400, 18, 10)
    w0 = w0 - w0.mean(axis=2, keepdims=True)
    r0 = np.corrcoef(w0[:, :, :-1].ravel(), w0[:, :, 1:].ravel())[0, 1]
    assert r - r0 > 0.3


def test_simulate_with_a_structure_needs_the_fits_rows():
    s = load_sleepstudy()
    fit = lmm("Reaction ~ Days + (1 | Subject)", s, residual=AR1("Subject"))
    with pytest.raises(ValueError, match="its own rows"):
        simulate(fit, s.iloc[:50], np.random.default_rng(0))


def test_phi_at_the_edge_of_its_range_is_reported():
    # a group constant and almost no noise: the errors of a group are one value, phi -> 1
    rng = np.random.default_rng(15)
    g = np.repeat(np.arange(30), 8)
    y = rng.normal(scale=5.0, size=30)[g] + rng.normal(scale=1e-3, size=240)
    d = pd.DataFrame({"y": y, "x": np.tile(np.arange(8.0), 30), "g": g.astype(str)})
    with pytest.warns(UserWarning, match="AR1 correlation phi is estimated as (0.99|1.00).*edge of its range"):
        lmm("y ~ x", d, residual=AR1("g"))


def test_a_wide_first_step_to_phi_minus_one_does_not_end_the_search():
    # A response simulated from the random-intercept fit of the first 6 rows of each mare
    # (replicate 37 of studies/correlated_lrt.py); lmm once stopped at phi = -1 with logLik
    # -240.94, far below the model without AR(1) (-159.39).  nlme 3.1-162 (tightly converged):
    #   d <- read.csv("tests/data/ovary_short_sim.csv", colClasses = c(Mare = "character"))
    #   lme(follicles ~ sin(2 * pi * Time) + cos(2 * pi * Time), random = ~ 1 | Mare,
    #       correlation = corAR1(form = ~ 1 | Mare), data = d, method = "REML", control = ctrl)
    #   Phi -0.325416813106, logLik -157.939451948
    d = pd.read_csv(DATA / "ovary_short_sim.csv", dtype={"Mare": str})
    fit = lmm("follicles ~ sin(2*pi*Time) + cos(2*pi*Time) + (1 | Mare)", d, residual=AR1("Mare"))
    np.testing.assert_allclose(fit.residual_params["AR1"]["phi"], -0.325416813106, rtol=1e-4)
    np.testing.assert_allclose(fit.loglik, -157.939451948, rtol=1e-8)
