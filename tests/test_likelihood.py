"""lmmtext.likelihood: ML and REML from first principles (Chapter 4)."""
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.optimize
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

from lmmtext.likelihood import (
    error_contrasts,
    gls_beta,
    loglik_contrasts,
    loglik_ml,
    loglik_reml,
    profiled_loglik,
    varcomp_cov,
)
from lmmtext.oneway import anova_estimates, simulate_oneway
from lmmtext.varcomp import fit_varcomp


# -- random designs ----------------------------------------------------------------------
def random_design(seed: int, n: int, p: int):
    """``y``, a full-rank ``X`` (intercept first) and an SPD ``V``."""
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(n), rng.normal(size=(n, p - 1))])
    A = rng.normal(size=(n, n))
    V = A @ A.T / n + 0.5 * np.eye(n)
    y = X @ rng.normal(size=p) + rng.multivariate_normal(np.zeros(n), V)
    return y, X, V


designs = st.tuples(st.integers(0, 2**31), st.integers(4, 12), st.integers(1, 3))


def logdet(M):
    sign, value = np.linalg.slogdet(M)
    assert sign > 0
    return value


def balanced_oneway(seed, a=6, n=4, sigma_a=2.0, sigma=4.0):
    y, g = simulate_oneway([n] * a, 10.0, sigma_a, sigma, np.random.default_rng(seed))
    Z = np.eye(a)[g]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        anova = anova_estimates(y, g)
    return y, np.ones((a * n, 1)), Z, anova


# -- eq. (4.1)-(4.3): the likelihood and its profile over beta ---------------------------
@given(designs)
def test_loglik_ml_at_beta_is_the_multivariate_normal_log_density(design):
    seed, n, p = design
    y, X, V = random_design(seed, n, p)
    beta = np.arange(1.0, p + 1)
    expected = scipy.stats.multivariate_normal(X @ beta, V).logpdf(y)
    np.testing.assert_allclose(loglik_ml(y, X, V, beta=beta), expected, rtol=1e-10)


@given(designs)
def test_gls_beta_solves_the_generalized_normal_equations(design):
    y, X, V = random_design(*design)
    beta = gls_beta(y, X, V)
    np.testing.assert_allclose(X.T @ np.linalg.solve(V, y - X @ beta), 0.0, atol=1e-8)


@given(designs)
def test_profiled_ml_is_the_likelihood_at_the_gls_beta(design):
    y, X, V = random_design(*design)
    np.testing.assert_allclose(loglik_ml(y, X, V), loglik_ml(y, X, V, beta=gls_beta(y, X, V)),
                               rtol=1e-12)


@given(designs, st.integers(0, 2**31))
def test_profiled_ml_is_at_least_the_likelihood_at_any_beta(design, seed):
    y, X, V = random_design(*design)
    beta = np.random.default_rng(seed).normal(size=X.shape[1])
    assert loglik_ml(y, X, V) >= loglik_ml(y, X, V, beta=beta) - 1e-10


# -- eq. (4.4) and (4.10): ML divides by n, REML by n - p --------------------------------
def _argmax_sigma2(criterion, y, X):
    res = scipy.optimize.minimize_scalar(
        lambda log_s2: -criterion(y, X, np.exp(log_s2) * np.eye(y.size)),
        bracket=(-2.0, 2.0), tol=1e-12)
    return np.exp(res.x)


@pytest.mark.parametrize("p", [1, 3])
def test_ml_estimate_of_sigma2_in_a_linear_model_is_rss_over_n(p):
    y, X, _ = random_design(7, 10, p)
    rss = np.sum((y - X @ np.linalg.lstsq(X, y, rcond=None)[0]) ** 2)
    np.testing.assert_allclose(_argmax_sigma2(loglik_ml, y, X), rss / 10, rtol=1e-6)


@pytest.mark.parametrize("p", [1, 3])
def test_reml_estimate_of_sigma2_in_a_linear_model_is_rss_over_n_minus_p(p):
    y, X, _ = random_design(7, 10, p)
    rss = np.sum((y - X @ np.linalg.lstsq(X, y, rcond=None)[0]) ** 2)
    np.testing.assert_allclose(_argmax_sigma2(loglik_reml, y, X), rss / (10 - p), rtol=1e-6)


# -- eq. (4.5)-(4.9): REML is the likelihood of error contrasts -------------------------
@given(designs)
def test_error_contrasts_are_orthonormal_and_annihilate_X(design):
    _, X, _ = random_design(*design)
    K = error_contrasts(X)
    n, p = X.shape
    assert K.shape == (n, n - p)
    np.testing.assert_allclose(K.T @ X, 0.0, atol=1e-10)
    np.testing.assert_allclose(K.T @ K, np.eye(n - p), atol=1e-10)


@given(designs)
def test_reml_contrast_convention_is_the_log_density_of_orthonormal_contrasts(design):
    y, X, V = random_design(*design)
    K = error_contrasts(X)
    np.testing.assert_allclose(loglik_reml(y, X, V, convention="contrast"),
                               loglik_contrasts(y, K, V), rtol=1e-9)


@given(designs)
def test_reml_lme4_convention_lacks_half_logdet_XtX(design):
    y, X, V = random_design(*design)
    np.testing.assert_allclose(
        loglik_reml(y, X, V, convention="contrast") - loglik_reml(y, X, V),
        0.5 * logdet(X.T @ X), rtol=1e-9, atol=1e-10)


@given(designs, st.integers(0, 2**31))
def test_contrast_log_density_for_any_K_is_reml_plus_a_constant(design, seed):
    """Theorem 4.1, eq. (4.7): l_K = l_R + 1/2 log|X'X| - 1/2 log|K'K|."""
    y, X, V = random_design(*design)
    n, p = X.shape
    A = np.random.default_rng(seed).normal(size=(n - p, n - p)) + 3 * np.eye(n - p)
    K = error_contrasts(X) @ A
    expected = loglik_reml(y, X, V) + 0.5 * logdet(X.T @ X) - 0.5 * logdet(K.T @ K)
    np.testing.assert_allclose(loglik_contrasts(y, K, V), expected, rtol=1e-8)


@given(designs, st.integers(0, 2**31))
def test_two_choices_of_K_differ_by_a_constant_free_of_V(design, seed):
    y, X, V = random_design(*design)
    n, p = X.shape
    K1 = error_contrasts(X)
    K2 = K1 @ (np.random.default_rng(seed).normal(size=(n - p, n - p)) + 3 * np.eye(n - p))
    diff_V = loglik_contrasts(y, K2, V) - loglik_contrasts(y, K1, V)
    diff_I = loglik_contrasts(y, K2, np.eye(n)) - loglik_contrasts(y, K1, np.eye(n))
    np.testing.assert_allclose(diff_V, diff_I, rtol=1e-8, atol=1e-9)


@given(designs)
def test_projection_identity_of_error_contrasts(design):
    """Eq. (4.8): K (K'VK)^{-1} K' = V^{-1} - V^{-1} X (X'V^{-1}X)^{-1} X' V^{-1}."""
    _, X, V = random_design(*design)
    K = error_contrasts(X)
    left = K @ np.linalg.solve(K.T @ V @ K, K.T)
    Vinv_X = np.linalg.solve(V, X)
    right = np.linalg.inv(V) - Vinv_X @ np.linalg.solve(X.T @ Vinv_X, Vinv_X.T)
    np.testing.assert_allclose(left, right, atol=1e-8)


@given(designs)
def test_determinant_identity_of_error_contrasts(design):
    """Eq. (4.9): |K'VK| = |K'K| |V| |X'V^{-1}X| / |X'X|."""
    _, X, V = random_design(*design)
    n, p = X.shape
    K = error_contrasts(X) @ (np.eye(n - p) + np.triu(np.ones((n - p, n - p))))
    right = logdet(K.T @ K) + logdet(V) + logdet(X.T @ np.linalg.solve(V, X)) - logdet(X.T @ X)
    np.testing.assert_allclose(logdet(K.T @ V @ K), right, rtol=1e-9, atol=1e-9)


@given(designs, st.integers(0, 2**31))
def test_reml_does_not_depend_on_beta(design, seed):
    y, X, V = random_design(*design)
    shift = X @ np.random.default_rng(seed).normal(scale=10.0, size=X.shape[1])
    np.testing.assert_allclose(loglik_reml(y + shift, X, V), loglik_reml(y, X, V), rtol=1e-8)


# -- eq. (4.11)-(4.12): the variance-component model and fit_varcomp -----------------------
def two_component_data(seed):
    rng = np.random.default_rng(seed)
    a, b = 5, 4
    g1, g2 = np.repeat(np.arange(a), b * 2), np.tile(np.arange(b), a * 2)
    Z1, Z2 = np.eye(a)[g1], np.eye(b)[g2]
    X = np.column_stack([np.ones(g1.size), rng.normal(size=g1.size)])
    y = X @ [5.0, 1.0] + Z1 @ rng.normal(0, 2.0, a) + Z2 @ rng.normal(0, 1.5, b) \
        + rng.normal(0, 1.0, g1.size)
    return y, X, [Z1, Z2]


def test_varcomp_cov_is_the_sum_of_the_components():
    Z1, Z2 = np.eye(3)[[0, 0, 1, 2]], np.eye(2)[[0, 1, 0, 1]]
    V = varcomp_cov([Z1, Z2], [2.0, 3.0], 0.5)
    np.testing.assert_allclose(V, 2.0 * Z1 @ Z1.T + 3.0 * Z2 @ Z2.T + 0.5 * np.eye(4))


@pytest.mark.parametrize("method", ["REML", "ML"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_dense_loglik_at_fit_varcomp_estimates_equals_its_loglik(method, seed):
    y, X, Z_blocks = two_component_data(seed)
    fit = fit_varcomp(y, X, Z_blocks, method=method)
    V = varcomp_cov(Z_blocks, fit.sigma2_components, fit.sigma2)
    dense = loglik_reml(y, X, V) if method == "REML" else loglik_ml(y, X, V)
    np.testing.assert_allclose(dense, fit.loglik, rtol=1e-10)


@pytest.mark.parametrize("method", ["REML", "ML"])
def test_gls_beta_at_fit_varcomp_estimates_equals_its_beta_hat(method):
    y, X, Z_blocks = two_component_data(4)
    fit = fit_varcomp(y, X, Z_blocks, method=method)
    V = varcomp_cov(Z_blocks, fit.sigma2_components, fit.sigma2)
    np.testing.assert_allclose(gls_beta(y, X, V), fit.beta_hat, rtol=1e-8)


@pytest.mark.parametrize("method", ["REML", "ML"])
def test_profiled_loglik_at_fit_theta_equals_fit_loglik(method):
    y, X, Z_blocks = two_component_data(5)
    fit = fit_varcomp(y, X, Z_blocks, method=method)
    np.testing.assert_allclose(profiled_loglik(y, X, Z_blocks, fit.theta, method), fit.loglik,
                               rtol=1e-10)


@pytest.mark.parametrize("method", ["REML", "ML"])
def test_fit_varcomp_maximises_the_profiled_loglik(method):
    y, X, Z_blocks = two_component_data(6)
    fit = fit_varcomp(y, X, Z_blocks, method=method)
    rng = np.random.default_rng(0)
    for _ in range(20):
        theta = np.abs(fit.theta + rng.normal(scale=0.05, size=2))
        assert profiled_loglik(y, X, Z_blocks, theta, method) <= fit.loglik + 1e-9


@pytest.mark.parametrize("method", ["REML", "ML"])
@given(theta=st.floats(0.0, 5.0))
@settings(max_examples=25)
def test_profiled_loglik_is_the_dense_loglik_at_the_profiled_sigma2(method, theta):
    y, X, Z_blocks = two_component_data(7)
    H = varcomp_cov(Z_blocks, [theta**2, 0.25 * theta**2], 1.0)
    r = y - X @ gls_beta(y, X, H)
    df = y.size - X.shape[1] if method == "REML" else y.size
    sigma2 = r @ np.linalg.solve(H, r) / df
    dense = loglik_reml if method == "REML" else loglik_ml
    np.testing.assert_allclose(
        profiled_loglik(y, X, Z_blocks, [theta, 0.5 * theta], method),
        dense(y, X, sigma2 * H), rtol=1e-10)


# -- eq. (4.13)-(4.15): the balanced one-way model in closed form and its boundary --
def _positive_seeds(criterion, want_positive, count=4):
    seeds = []
    for seed in range(200):
        *_, an = balanced_oneway(seed)
        if (criterion(an) > 0) == want_positive:
            seeds.append(seed)
        if len(seeds) == count:
            return seeds
    raise AssertionError("not enough seeds")


def reml_closed(an):
    return (an.ms_between - an.ms_within) / 4


def ml_closed(an):
    return ((1 - 1 / 6) * an.ms_between - an.ms_within) / 4


@pytest.mark.parametrize("seed", _positive_seeds(reml_closed, True))
def test_reml_on_balanced_one_way_is_the_anova_estimate_when_positive(seed):
    y, X, Z, an = balanced_oneway(seed)
    fit = fit_varcomp(y, X, [Z], method="REML")
    np.testing.assert_allclose(fit.sigma2, an.ms_within, rtol=1e-6)
    np.testing.assert_allclose(fit.sigma2_components[0], an.sigma_a2, rtol=1e-5)
    assert not fit.at_boundary[0]


@pytest.mark.parametrize("seed", _positive_seeds(reml_closed, False))
def test_reml_on_balanced_one_way_is_exactly_zero_when_anova_is_negative(seed):
    y, X, Z, an = balanced_oneway(seed)
    fit = fit_varcomp(y, X, [Z], method="REML")
    assert an.negative
    assert fit.sigma2_components[0] == 0.0 and fit.at_boundary[0]
    np.testing.assert_allclose(fit.sigma2, np.sum((y - y.mean()) ** 2) / (y.size - 1), rtol=1e-10)


@pytest.mark.parametrize("seed", _positive_seeds(ml_closed, True))
def test_ml_on_balanced_one_way_has_its_closed_form_when_positive(seed):
    y, X, Z, an = balanced_oneway(seed)
    fit = fit_varcomp(y, X, [Z], method="ML")
    np.testing.assert_allclose(fit.sigma2, an.ms_within, rtol=1e-6)
    np.testing.assert_allclose(fit.sigma2_components[0], ml_closed(an), rtol=1e-5)
    assert not fit.at_boundary[0]


@pytest.mark.parametrize("seed", _positive_seeds(ml_closed, False))
def test_ml_on_balanced_one_way_is_exactly_zero_when_closed_form_is_negative(seed):
    y, X, Z, _ = balanced_oneway(seed)
    fit = fit_varcomp(y, X, [Z], method="ML")
    assert fit.sigma2_components[0] == 0.0 and fit.at_boundary[0]
    np.testing.assert_allclose(fit.sigma2, np.mean((y - y.mean()) ** 2), rtol=1e-10)


def test_ml_estimate_of_sigma_a2_is_below_reml_on_balanced_one_way():
    for seed in _positive_seeds(ml_closed, True):
        y, X, Z, _ = balanced_oneway(seed)
        ml = fit_varcomp(y, X, [Z], method="ML").sigma2_components[0]
        reml = fit_varcomp(y, X, [Z], method="REML").sigma2_components[0]
        assert ml < reml


def test_expected_ml_and_reml_closed_forms_on_balanced_one_way():
    """Eq. (4.14): E[(MSA - MSE)/n] = sigma_a^2 and
    E[((1-1/a)MSA - MSE)/n] = sigma_a^2 - (sigma^2 + n sigma_a^2)/(a n)."""
    a, n, sigma_a2, sigma2 = 6, 4, 4.0, 16.0
    ems_a, ems_e = sigma2 + n * sigma_a2, sigma2
    np.testing.assert_allclose((ems_a - ems_e) / n, sigma_a2)
    rng = np.random.default_rng(0)
    msa = ems_a * rng.chisquare(a - 1, 200_000) / (a - 1)
    mse = ems_e * rng.chisquare(a * (n - 1), 200_000) / (a * (n - 1))
    np.testing.assert_allclose(np.mean(((1 - 1 / a) * msa - mse) / n),
                               sigma_a2 - (sigma2 + n * sigma_a2) / (a * n), rtol=0.02)


# -- validation --------------------------------------------------------------------------
def test_mismatched_V_raises_naming_V():
    with pytest.raises(ValueError, match="V must be 3 x 3"):
        loglik_ml(np.zeros(3), np.ones((3, 1)), np.eye(2))


def test_non_positive_definite_V_raises():
    with pytest.raises(ValueError, match="V is not positive definite"):
        loglik_reml(np.zeros(2), np.ones((2, 1)), np.array([[1.0, 2.0], [2.0, 1.0]]))


def test_rank_deficient_X_raises():
    X = np.column_stack([np.ones(4), np.ones(4)])
    with pytest.raises(ValueError, match="X is rank deficient"):
        loglik_reml(np.arange(4.0), X, np.eye(4))


def test_reml_with_as_many_columns_as_observations_raises():
    with pytest.raises(ValueError, match="p < n"):
        loglik_reml([1.0, 2.0], np.eye(2), np.eye(2))
    with pytest.raises(ValueError, match="no error contrasts"):
        error_contrasts(np.eye(2))


def test_unknown_convention_raises():
    with pytest.raises(ValueError, match="convention"):
        loglik_reml([1.0, 2.0, 4.0], np.ones((3, 1)), np.eye(3), convention="harville")
    with pytest.raises(TypeError, match="convention"):
        loglik_reml([1.0, 2.0, 4.0], np.ones((3, 1)), np.eye(3), convention=1)


def test_beta_of_the_wrong_length_raises():
    with pytest.raises(ValueError, match="beta has 2 entries"):
        loglik_ml([1.0, 2.0, 4.0], np.ones((3, 1)), np.eye(3), beta=[1.0, 2.0])


def test_rank_deficient_K_raises():
    with pytest.raises(ValueError, match="K is rank deficient"):
        loglik_contrasts([1.0, 2.0, 4.0], np.ones((3, 2)), np.eye(3))


def test_negative_theta_or_variance_raises():
    Z = np.eye(2)[[0, 0, 1, 1]]
    with pytest.raises(ValueError, match="theta must be non-negative"):
        profiled_loglik([1.0, 2.0, 4.0, 3.0], np.ones((4, 1)), [Z], [-1.0])
    with pytest.raises(ValueError, match="sigma2_components are variances and must be non-negative"):
        varcomp_cov([Z], [-1.0], 1.0)
    with pytest.raises(ValueError, match="sigma2 .* is a variance and must be positive"):
        varcomp_cov([Z], [1.0], 0.0)


def test_bad_Z_blocks_raise():
    with pytest.raises(TypeError, match="Z_blocks must be a list"):
        varcomp_cov(np.ones((2, 1)), [1.0], 1.0)
    with pytest.raises(ValueError, match="Z_blocks is empty"):
        profiled_loglik([1.0, 2.0], np.ones((2, 1)), [], [])
    with pytest.raises(ValueError, match=r"Z_blocks\[1\] has 3 rows"):
        varcomp_cov([np.ones((2, 1)), np.ones((3, 1))], [1.0, 1.0], 1.0)


def test_unknown_method_raises():
    Z = np.eye(2)[[0, 0, 1, 1]]
    with pytest.raises(ValueError, match="method"):
        profiled_loglik([1.0, 2.0, 4.0, 3.0], np.ones((4, 1)), [Z], [1.0], method="MLE")


def test_nan_in_y_raises():
    with pytest.raises(ValueError, match="y contains 1 NaN"):
        loglik_ml([1.0, np.nan], np.ones((2, 1)), np.eye(2))


def test_non_numeric_input_raises_type_error():
    with pytest.raises(TypeError, match="y must be numeric"):
        gls_beta(["a", "b"], np.ones((2, 1)), np.eye(2))
