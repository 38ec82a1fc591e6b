"""fit_varcomp: REML/ML variance components for V = sum_l sigma_l^2 Z_l Z_l' + sigma^2 I."""
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse
import scipy.stats

from lmmtext.datasets import load_dyestuff, load_dyestuff2, load_penicillin
from lmmtext.lmm import lmm
from lmmtext.mixed import gls_blup
from lmmtext.oneway import anova_estimates
from lmmtext.varcomp import fit_varcomp


def indicators(labels) -> np.ndarray:
    return pd.get_dummies(pd.Series(labels)).to_numpy(dtype=float)


def dyestuff_parts(frame):
    return frame["Yield"].to_numpy(), np.ones((len(frame), 1)), [indicators(frame["Batch"])]


def penicillin_parts():
    p = load_penicillin()
    return p["diameter"].to_numpy(), np.ones((len(p), 1)), [indicators(p["plate"]), indicators(p["sample"])]


def test_reml_on_balanced_one_way_equals_anova_estimates():
    y, X, Z = dyestuff_parts(load_dyestuff())
    fit = fit_varcomp(y, X, Z, method="REML")
    anova = anova_estimates(y, load_dyestuff()["Batch"])
    np.testing.assert_allclose(fit.sigma2, anova.sigma2, rtol=1e-6)
    np.testing.assert_allclose(fit.sigma2_components[0], anova.sigma_a2, rtol=1e-6)


def test_ml_on_dyestuff_matches_lme4():
    # lme4 1.1-31, R 4.2.2 (2026-11-25), lmer(Yield ~ 1 + (1|Batch), Dyestuff, REML = FALSE),
    # nloptwrap with xtol_abs = 1e-14: Batch 1388.33327473536, residual 2451.2500179445,
    # logLik -163.663529940568.  Bates et al. (2015, sec. 3.6) print 1388 and 2451.
    y, X, Z = dyestuff_parts(load_dyestuff())
    fit = fit_varcomp(y, X, Z, method="ML")
    np.testing.assert_allclose(fit.sigma2_components, [1388.33327473536], rtol=1e-5)
    np.testing.assert_allclose(fit.sigma2, 2451.2500179445, rtol=1e-5)
    np.testing.assert_allclose(fit.loglik, -163.663529940568, rtol=1e-9)
    assert fit.method == "ML"


@pytest.mark.parametrize("method", ["REML", "ML"])
def test_agrees_with_lmm_on_crossed_penicillin(method):
    y, X, Z = penicillin_parts()
    fit = fit_varcomp(y, X, Z, method=method)
    ref = lmm("diameter ~ 1 + (1 | plate) + (1 | sample)", load_penicillin(), method=method)
    np.testing.assert_allclose(fit.loglik, ref.loglik, rtol=1e-10)
    np.testing.assert_allclose(
        fit.sigma2_components, [ref.covariance["plate"].iat[0, 0], ref.covariance["sample"].iat[0, 0]], rtol=1e-5
    )
    np.testing.assert_allclose(fit.beta_hat, ref.fixef.to_numpy(), rtol=1e-8)
    np.testing.assert_allclose(fit.blups[0], ref.ranef["plate"].to_numpy().ravel(), rtol=1e-4, atol=1e-6)


def test_zero_variance_is_reported_at_the_boundary():
    # Dyestuff2: the REML estimate of the batch variance is exactly 0 (lme4 1.1-31: theta = 0).
    y, X, Z = dyestuff_parts(load_dyestuff2())
    fit = fit_varcomp(y, X, Z, method="REML")
    assert fit.at_boundary.tolist() == [True]
    assert fit.sigma2_components[0] == 0.0
    np.testing.assert_allclose(fit.sigma2, 13.8063096275862, rtol=1e-10)
    np.testing.assert_allclose(fit.blups[0], 0.0)


def test_blups_equal_conditional_mean_from_gls_blup():
    y, X, Z = penicillin_parts()
    fit = fit_varcomp(y, X, Z, method="REML")
    Zall = np.hstack(Z)
    D = np.diag(np.concatenate([np.full(z.shape[1], s2) for z, s2 in zip(Z, fit.sigma2_components)]))
    sol = gls_blup(X, Zall, y, D, fit.sigma2 * np.eye(len(y)))
    np.testing.assert_allclose(np.concatenate(fit.blups), sol.gamma_hat, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(fit.beta_hat, sol.beta_hat, rtol=1e-10)


def marginal_v(fit, Z, n):
    return sum(s2 * z @ z.T for s2, z in zip(fit.sigma2_components, Z)) + fit.sigma2 * np.eye(n)


def test_ml_loglik_is_the_normal_log_density_at_the_estimates():
    y, X, Z = penicillin_parts()
    fit = fit_varcomp(y, X, Z, method="ML")
    V = marginal_v(fit, Z, len(y))
    direct = scipy.stats.multivariate_normal(mean=X @ fit.beta_hat, cov=V).logpdf(y)
    np.testing.assert_allclose(fit.loglik, direct, rtol=1e-10)


def test_reml_loglik_is_the_restricted_log_likelihood():
    # -2 l_R = (n - p) log(2 pi) + log|V| + log|X'V^-1 X| + r'V^-1 r (Patterson & Thompson 1971).
    y, X, Z = penicillin_parts()
    fit = fit_varcomp(y, X, Z, method="REML")
    n, p = X.shape
    V = marginal_v(fit, Z, n)
    r = y - X @ fit.beta_hat
    Vinv_X = np.linalg.solve(V, X)
    m2 = ((n - p) * np.log(2 * np.pi) + np.linalg.slogdet(V)[1]
          + np.linalg.slogdet(X.T @ Vinv_X)[1] + r @ np.linalg.solve(V, r))
    np.testing.assert_allclose(fit.loglik, -m2 / 2, rtol=1e-10)


def test_beta_cov_is_inverse_of_x_vinv_x():
    y, X, Z = penicillin_parts()
    fit = fit_varcomp(y, X, Z, method="REML")
    V = marginal_v(fit, Z, len(y))
    np.testing.assert_allclose(fit.beta_cov, np.linalg.inv(X.T @ np.linalg.solve(V, X)), rtol=1e-8)


def test_sparse_and_dense_blocks_give_the_same_fit():
    y, X, Z = penicillin_parts()
    dense = fit_varcomp(y, X, Z)
    sparse = fit_varcomp(y, X, [scipy.sparse.csr_matrix(z) for z in Z])
    np.testing.assert_allclose(sparse.sigma2_components, dense.sigma2_components, rtol=1e-12)


def test_general_non_indicator_block_is_fitted():
    # A random regression on two covariates: Z'Z is not diagonal, the dense path is used.
    rng = np.random.default_rng(5)
    n = 200
    Z = rng.normal(size=(n, 10))
    y = 1.0 + Z @ rng.normal(0, 2.0, 10) + rng.normal(0, 1.0, n)
    fit = fit_varcomp(y, np.ones((n, 1)), [Z], method="ML")
    V = marginal_v(fit, [Z], n)
    direct = scipy.stats.multivariate_normal(mean=np.full(n, fit.beta_hat[0]), cov=V).logpdf(y)
    np.testing.assert_allclose(fit.loglik, direct, rtol=1e-10)
    assert 1.0 < fit.sigma2_components[0] < 10.0


def test_optsummary_records_start_bounds_and_evaluations():
    y, X, Z = penicillin_parts()
    opt = fit_varcomp(y, X, Z).optsummary
    assert opt.theta_start.tolist() == [1.0, 1.0]
    assert opt.lower.tolist() == [0.0, 0.0]
    assert opt.n_evaluations > 10
    assert opt.converged


def test_empty_z_blocks_raise():
    with pytest.raises(ValueError, match="Z_blocks is empty"):
        fit_varcomp([1.0, 2.0, 3.0], np.ones((3, 1)), [])


def test_z_block_with_wrong_number_of_rows_raises():
    with pytest.raises(ValueError, match=r"Z_blocks\[0\] has 2 rows but y has 3"):
        fit_varcomp([1.0, 2.0, 3.0], np.ones((3, 1)), [np.ones((2, 1))])


def test_nan_in_z_block_raises():
    Z = np.eye(3)
    Z[0, 0] = np.nan
    with pytest.raises(ValueError, match=r"Z_blocks\[0\] contains 1 NaN"):
        fit_varcomp([1.0, 2.0, 3.0], np.ones((3, 1)), [Z])


def test_rank_deficient_x_raises():
    X = np.column_stack([np.ones(4), np.ones(4)])
    with pytest.raises(ValueError, match="rank deficient"):
        fit_varcomp([1.0, 2.0, 3.0, 5.0], X, [np.eye(4)[:, :2]])


def test_unknown_method_raises():
    with pytest.raises(ValueError, match="method must be 'REML' or 'ML'"):
        fit_varcomp([1.0, 2.0, 3.0], np.ones((3, 1)), [np.eye(3)[:, :2]], method="MINQUE")


def test_single_matrix_instead_of_list_raises():
    with pytest.raises(TypeError, match="Z_blocks must be a list"):
        fit_varcomp([1.0, 2.0, 3.0], np.ones((3, 1)), np.eye(3))


def test_no_warning_on_a_regular_fit():
    y, X, Z = dyestuff_parts(load_dyestuff())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit_varcomp(y, X, Z)
