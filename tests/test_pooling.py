"""Specifications for lmmtext.pooling (Chapters 7 and 8)."""
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lmmtext.datasets import load_dyestuff, load_dyestuff2, load_sleepstudy
from lmmtext.lmm import lmm
from lmmtext.mixed import conditional_gamma, prediction_error_cov
from lmmtext.oneway import anova_estimates, fixed_effects, group_means, shrinkage_factor
from lmmtext.pooling import (complete_pooling, conditional_variances, no_pooling,
                             partial_pooling, ranef_intervals)


@pytest.fixture(scope="module")
def dyestuff():
    d = load_dyestuff()
    return d, lmm("Yield ~ 1 + (1 | Batch)", d)


@pytest.fixture(scope="module")
def sleep():
    s = load_sleepstudy()
    return s, lmm("Reaction ~ Days + (Days | Subject)", s)


def _intercept_cov(value):
    return pd.DataFrame([[value]], index=["Intercept"], columns=["Intercept"])


# --- no pooling / complete pooling ------------------------------------------------------

def test_no_pooling_without_covariate_gives_the_group_means():
    d = load_dyestuff()
    np.testing.assert_allclose(no_pooling(d, "Yield", "Batch")["Intercept"],
                               group_means(d["Yield"], d["Batch"]))


def test_no_pooling_fits_each_subject_by_least_squares():
    s = load_sleepstudy()
    coef = no_pooling(s, "Reaction", "Subject", "Days")
    one = s[s["Subject"] == "308"]
    slope, intercept = np.polyfit(one["Days"], one["Reaction"], 1)
    np.testing.assert_allclose(coef.loc["308"], [intercept, slope])
    assert list(coef.columns) == ["Intercept", "Days"] and coef.shape == (18, 2)


def test_complete_pooling_is_ordinary_least_squares_on_all_rows():
    s = load_sleepstudy()
    slope, intercept = np.polyfit(s["Days"], s["Reaction"], 1)
    np.testing.assert_allclose(complete_pooling(s, "Reaction", "Days"), [intercept, slope])


def test_balanced_design_pools_to_the_mean_of_the_per_group_lines():
    """Same covariate values in every group: the pooled OLS line is the average line (eq. 8.5)."""
    s = load_sleepstudy()
    np.testing.assert_allclose(complete_pooling(s, "Reaction", "Days"),
                               no_pooling(s, "Reaction", "Subject", "Days").mean())


def test_no_pooling_rejects_a_group_with_one_covariate_value():
    d = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0], "x": [1, 1, 0, 1], "g": list("aabb")})
    with pytest.raises(ValueError, match="group 'a'"):
        no_pooling(d, "y", "g", "x")


def test_pooling_functions_name_a_missing_column():
    with pytest.raises(ValueError, match="Reactio"):
        no_pooling(load_sleepstudy(), "Reactio", "Subject")
    with pytest.raises(ValueError, match="day"):
        complete_pooling(load_sleepstudy(), "Reaction", "day")


def test_pooling_functions_reject_non_frames_and_text_responses():
    with pytest.raises(TypeError, match="DataFrame"):
        no_pooling({"y": [1.0]}, "y", "g")
    d = pd.DataFrame({"y": list("abcd"), "g": list("aabb")})
    with pytest.raises(TypeError, match="numeric"):
        no_pooling(d, "y", "g")


# --- partial pooling --------------------------------------------------------------------

def test_partial_pooling_adds_the_conditional_modes_to_the_fixed_effects(sleep):
    _, fit = sleep
    coef = partial_pooling(fit, "Subject")
    np.testing.assert_allclose(coef - fit.fixef, fit.ranef["Subject"])


def test_partial_pooling_rejects_an_unknown_factor(sleep):
    with pytest.raises(ValueError, match="Batch"):
        partial_pooling(sleep[1], "Batch")


def test_dyestuff_conditional_modes_are_the_shrunk_fixed_effects(dyestuff):
    """Balanced one-way model: b_hat_i = k (ybar_i. - ybar..) with k from the REML estimates (eq. 7.3)."""
    d, fit = dyestuff
    k = shrinkage_factor(fit.covariance["Batch"].iat[0, 0], fit.sigma2, 5)
    np.testing.assert_allclose(fit.ranef["Batch"]["Intercept"],
                               k * fixed_effects(d["Yield"], d["Batch"]), rtol=1e-5)


def test_dyestuff_reml_equals_the_anova_estimates(dyestuff):
    d, fit = dyestuff
    est = anova_estimates(d["Yield"], d["Batch"])
    np.testing.assert_allclose([fit.covariance["Batch"].iat[0, 0], fit.sigma2],
                               [est.sigma_a2, est.sigma2], rtol=1e-5)


# --- conditional variances --------------------------------------------------------------

def test_random_intercept_conditional_variance_formula():
    """sigma^2 / (n_i + sigma^2 / sigma_a^2) for a random intercept (eq. 7.5)."""
    d = pd.DataFrame({"g": list("abbcccc")})
    got = conditional_variances(d, "g", _intercept_cov(3.0), 2.0)[:, 0, 0]
    n_i = np.array([1, 2, 4])
    np.testing.assert_allclose(got, 2.0 / (n_i + 2.0 / 3.0))


def test_conditional_variance_is_the_sampling_variance_times_the_shrinkage_factor():
    d = pd.DataFrame({"g": list("abbcccc")})
    n_i = np.array([1, 2, 4])
    got = conditional_variances(d, "g", _intercept_cov(3.0), 2.0)[:, 0, 0]
    np.testing.assert_allclose(got, shrinkage_factor(3.0, 2.0, n_i) * 2.0 / n_i)


def test_conditional_variances_match_the_conditional_distribution_of_gamma(sleep):
    """Each level's block equals cov(gamma | y) of the whole model (mixed.conditional_gamma)."""
    s, fit = sleep
    Sigma = fit.covariance["Subject"]
    cond = conditional_variances(s, "Subject", Sigma, fit.sigma2)
    first = s[s["Subject"].isin(["308", "309"])]
    Zi = np.column_stack([np.ones(10), np.arange(10.0)])
    Z = np.kron(np.eye(2), Zi)
    D = np.kron(np.eye(2), Sigma.to_numpy())
    X = np.column_stack([np.ones(20), first["Days"]])
    cg = conditional_gamma(X, Z, first["Reaction"], fit.fixef, D, fit.sigma2 * np.eye(20))
    np.testing.assert_allclose(cg.cov[:2, :2], cond[0], rtol=1e-8)
    np.testing.assert_allclose(cg.cov[2:, 2:], cond[1], rtol=1e-8)
    np.testing.assert_allclose(cg.cov[:2, 2:], 0.0, atol=1e-8)


def test_conditional_variances_equal_the_inverse_of_the_mme_block(sleep):
    """(Z_i'Z_i / sigma^2 + Sigma^{-1})^{-1} when Sigma is invertible."""
    s, fit = sleep
    Sigma = fit.covariance["Subject"].to_numpy()
    Zi = np.column_stack([np.ones(10), np.arange(10.0)])
    block = Zi.T @ Zi / fit.sigma2 + np.linalg.inv(Sigma)
    cond = conditional_variances(s, "Subject", fit.covariance["Subject"], fit.sigma2)
    np.testing.assert_allclose(cond[5] @ block, np.eye(2), atol=1e-10)


def test_zero_variance_gives_zero_conditional_variance():
    d = load_dyestuff2()
    np.testing.assert_array_equal(conditional_variances(d, "Batch", _intercept_cov(0.0), 13.8), 0.0)


def test_henderson_pev_exceeds_condvar_by_the_error_of_the_mean():
    """Balanced one-way model: PEV_i = condvar_i + k^2 var(mu_hat), var(mu_hat) = (sigma_a2 + sigma2/n)/a."""
    a, n, sigma_a2, sigma2 = 4, 3, 2.0, 5.0
    d = pd.DataFrame({"g": np.repeat(np.arange(a), n)})
    cond = conditional_variances(d, "g", _intercept_cov(sigma_a2), sigma2)[:, 0, 0]
    Z = np.kron(np.eye(a), np.ones((n, 1)))
    pev = np.diag(prediction_error_cov(np.ones((a * n, 1)), Z, sigma_a2 * np.eye(a),
                                       sigma2 * np.eye(a * n)))
    k = shrinkage_factor(sigma_a2, sigma2, n)
    np.testing.assert_allclose(pev, cond + k**2 * (sigma_a2 + sigma2 / n) / a)


@given(st.integers(1, 30), st.floats(0.01, 100.0), st.floats(0.01, 100.0))
def test_conditional_variance_lies_below_prior_and_sampling_variance(n, sigma_a2, sigma2):
    d = pd.DataFrame({"g": [0] * n + [1]})
    c = conditional_variances(d, "g", _intercept_cov(sigma_a2), sigma2)[0, 0, 0]
    assert c <= sigma_a2 * (1 + 1e-12) and c <= sigma2 / n * (1 + 1e-12)


@given(st.floats(0.01, 100.0), st.floats(0.01, 100.0))
def test_conditional_variance_falls_as_the_group_grows(sigma_a2, sigma2):
    d = pd.DataFrame({"g": [0] + [1] * 2 + [2] * 5 + [3] * 20})
    c = conditional_variances(d, "g", _intercept_cov(sigma_a2), sigma2)[:, 0, 0]
    assert np.all(np.diff(c) < 0)


def test_conditional_variances_reject_a_bad_covariance():
    d = pd.DataFrame({"g": list("aabb")})
    with pytest.raises(ValueError, match="semi-definite"):
        conditional_variances(d, "g", _intercept_cov(-1.0), 1.0)
    with pytest.raises(TypeError, match="DataFrame"):
        conditional_variances(d, "g", [[1.0]], 1.0)
    with pytest.raises(ValueError, match="sigma2"):
        conditional_variances(d, "g", _intercept_cov(1.0), 0.0)


def test_conditional_variances_name_a_missing_covariate_column():
    d = pd.DataFrame({"g": list("aabb")})
    cov = pd.DataFrame(np.eye(2), index=["Intercept", "Days"], columns=["Intercept", "Days"])
    with pytest.raises(ValueError, match="Days"):
        conditional_variances(d, "g", cov, 1.0)


# --- intervals --------------------------------------------------------------------------

def test_ranef_intervals_are_mode_plus_minus_z_sd(dyestuff):
    d, fit = dyestuff
    tab = ranef_intervals(fit, d, "Batch", level=0.9)
    np.testing.assert_allclose(tab["upper"] - tab["estimate"], 1.6448536 * tab["sd"], rtol=1e-6)
    np.testing.assert_allclose(tab["estimate"], fit.ranef["Batch"]["Intercept"])


def test_ranef_intervals_of_dyestuff_have_lme4s_conditional_sd(dyestuff):
    d, fit = dyestuff
    tab = ranef_intervals(fit, d, "Batch")
    sigma_a2 = fit.covariance["Batch"].iat[0, 0]
    np.testing.assert_allclose(tab["sd"] ** 2, fit.sigma2 / (5 + fit.sigma2 / sigma_a2))


def test_ranef_intervals_give_one_row_per_subject_and_term(sleep):
    s, fit = sleep
    tab = ranef_intervals(fit, s, "Subject")
    assert tab.shape[0] == 36 and tab["term"].unique().tolist() == ["Intercept", "Days"]
    assert (tab["lower"] < tab["estimate"]).all() and (tab["estimate"] < tab["upper"]).all()


def test_ranef_intervals_collapse_for_a_singular_fit():
    d = load_dyestuff2()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = lmm("Yield ~ 1 + (1 | Batch)", d)
    tab = ranef_intervals(fit, d, "Batch")
    np.testing.assert_array_equal(tab[["estimate", "sd", "lower", "upper"]], 0.0)


def test_ranef_intervals_reject_a_level_outside_zero_one(dyestuff):
    d, fit = dyestuff
    with pytest.raises(ValueError, match="level"):
        ranef_intervals(fit, d, "Batch", level=95)
