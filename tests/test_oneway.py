"""Specifications for lmmtext.oneway: the one-way model of Chapter 1."""
import numpy as np
import pandas as pd
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

from lmmtext.mixed import gls_blup
from lmmtext.oneway import (
    anova_estimates,
    between_variance_interval_mls,
    blup,
    f_test_between,
    fixed_effects,
    gls_mean,
    group_means,
    group_sizes,
    icc_interval,
    shrinkage_factor,
    sigma2_interval,
    simulate_oneway,
    variance_ratio_interval,
)

variances = st.floats(min_value=1e-3, max_value=1e3)


def oneway_matrices(groups):
    """The one-way model in matrix form: X = 1, Z = group indicators."""
    labels, codes = np.unique(groups, return_inverse=True)
    return np.ones((len(groups), 1)), np.eye(labels.size)[codes]


# --- simulate_oneway -------------------------------------------------------

def test_simulate_returns_one_label_per_response_with_unequal_sizes():
    y, g = simulate_oneway([2, 5, 1], 0.0, 1.0, 1.0, np.random.default_rng(0))
    assert y.shape == (8,)
    assert np.bincount(g).tolist() == [2, 5, 1]


def test_simulate_is_reproducible_with_the_same_seed():
    a = simulate_oneway([3, 3], 1.0, 1.0, 1.0, np.random.default_rng(7))[0]
    b = simulate_oneway([3, 3], 1.0, 1.0, 1.0, np.random.default_rng(7))[0]
    np.testing.assert_array_equal(a, b)


def test_simulate_with_zero_error_sd_gives_mu_plus_group_effect():
    y, g, alpha = simulate_oneway([2, 3], 5.0, 2.0, 0.0, np.random.default_rng(1), return_effects=True)
    np.testing.assert_allclose(y, 5.0 + alpha[g])


def test_simulated_variance_components_match_their_definitions():
    y, g = simulate_oneway([50] * 400, 0.0, 2.0, 1.0, np.random.default_rng(3))
    est = anova_estimates(y, g)
    assert est.sigma2 == pytest.approx(1.0, rel=0.03)
    assert est.sigma_a2 == pytest.approx(4.0, rel=0.2)


@pytest.mark.parametrize(
    "sizes, match",
    [([3, 0, 2], "at least one observation"), ([4], "at least two groups")],
)
def test_simulate_rejects_bad_group_sizes(sizes, match):
    with pytest.raises(ValueError, match=match):
        simulate_oneway(sizes, 0.0, 1.0, 1.0, np.random.default_rng(0))


def test_simulate_rejects_negative_standard_deviation():
    with pytest.raises(ValueError, match="sigma_a"):
        simulate_oneway([2, 2], 0.0, -1.0, 1.0, np.random.default_rng(0))


def test_simulate_requires_a_generator():
    with pytest.raises(TypeError, match="rng"):
        simulate_oneway([2, 2], 0.0, 1.0, 1.0, 42)


# --- group means and fixed effects ----------------------------------------

def test_group_means_are_indexed_by_sorted_label():
    m = group_means([4.0, 6.0, 1.0], ["b", "b", "a"])
    assert m.index.tolist() == ["a", "b"]
    assert m.tolist() == [1.0, 5.0]


def test_group_sizes_count_each_group():
    assert group_sizes([1.0, 2.0, 3.0], [1, 1, 2]).tolist() == [2, 1]


def test_fixed_effects_are_group_mean_minus_grand_mean():
    y = np.array([1.0, 2.0, 3.0, 10.0, 20.0])
    g = np.array([0, 0, 0, 1, 1])
    np.testing.assert_allclose(fixed_effects(y, g), [2.0 - y.mean(), 15.0 - y.mean()])


def test_fixed_effects_sum_to_zero_with_weights_n_i():
    y, g = simulate_oneway([2, 7, 4], 3.0, 1.0, 1.0, np.random.default_rng(4))
    assert np.sum(group_sizes(y, g) * fixed_effects(y, g)) == pytest.approx(0.0, abs=1e-12)


def test_functions_accept_pandas_objects():
    df = pd.DataFrame({"y": [1.0, 3.0, 9.0, 11.0], "g": ["u", "u", "v", "v"]})
    assert fixed_effects(df["y"], df["g"]).tolist() == [-4.0, 4.0]


# --- ANOVA estimates -------------------------------------------------------

def test_anova_balanced_matches_hand_computation():
    est = anova_estimates([1.0, 2.0, 3.0, 7.0, 8.0, 9.0], [0, 0, 0, 1, 1, 1])
    assert (est.ss_between, est.ss_within) == (54.0, 4.0)
    assert (est.df_between, est.df_within) == (1, 4)
    assert est.n0 == 3.0
    assert est.sigma2 == 1.0
    assert est.sigma_a2 == pytest.approx(53.0 / 3.0)


def test_anova_sums_of_squares_decompose_the_total():
    y, g = simulate_oneway([3, 8, 5, 2], 1.0, 3.0, 1.0, np.random.default_rng(5))
    est = anova_estimates(y, g)
    assert est.ss_between + est.ss_within == pytest.approx(np.sum((y - y.mean()) ** 2))


def test_anova_unbalanced_uses_n0():
    sizes = np.array([2, 3, 7])
    est = anova_estimates(np.arange(12.0) ** 1.5, np.repeat([0, 1, 2], sizes))
    N = sizes.sum()
    assert est.n0 == pytest.approx((N - np.sum(sizes**2) / N) / 2)
    assert est.sigma_a2 == pytest.approx((est.ms_between - est.ms_within) / est.n0)


def test_anova_reports_a_negative_estimate_instead_of_hiding_it():
    y = [0.0, 10.0, 1.0, 11.0, 2.0, 12.0]  # group means equal-ish, large within spread
    g = [0, 0, 1, 1, 2, 2]
    with pytest.warns(UserWarning, match="negative"):
        est = anova_estimates(y, g)
    assert est.negative and est.sigma_a2 < 0
    assert est.sigma_a2_truncated == 0.0


def test_anova_icc_is_between_zero_and_one():
    y, g = simulate_oneway([6] * 10, 0.0, 1.0, 1.0, np.random.default_rng(6))
    assert 0.0 <= anova_estimates(y, g).icc < 1.0


def test_anova_rejects_only_single_observation_groups():
    with pytest.raises(ValueError, match="within-group degrees of freedom"):
        anova_estimates([1.0, 2.0, 3.0], [0, 1, 2])


@pytest.mark.parametrize(
    "y, g, exc, match",
    [
        ([1.0, np.nan, 3.0, 4.0], [0, 0, 1, 1], ValueError, "NaN"),
        ([1.0, np.inf, 3.0, 4.0], [0, 0, 1, 1], ValueError, "infinite"),
        ([1.0, 2.0, 3.0], [0, 0, 1, 1], ValueError, "labels but y has"),
        ([1.0, 2.0, 3.0], [0, 0, 0], ValueError, "at least two distinct groups"),
        ([], [], ValueError, "empty"),
        (["a", "b"], [0, 1], TypeError, "numeric"),
        ([1.0, 2.0, 3.0, 4.0], [0, None, 1, 1], ValueError, "missing"),
        ([1.0, 2.0, 3.0, 4.0], [0.0, np.nan, 1.0, 1.0], ValueError, "missing"),
    ],
)
def test_bad_one_way_input_raises_naming_the_problem(y, g, exc, match):
    with pytest.raises(exc, match=match):
        anova_estimates(y, g)


# --- shrinkage factor ------------------------------------------------------

def test_shrinkage_factor_formula():
    assert shrinkage_factor(1.0, 4.0, 4) == 0.5
    np.testing.assert_allclose(shrinkage_factor(2.0, 1.0, np.array([1, 2])), [2 / 3, 0.8])


@given(sigma_a2=variances, sigma2=variances, n=st.integers(1, 10_000))
def test_shrinkage_factor_lies_strictly_between_zero_and_one(sigma_a2, sigma2, n):
    k = shrinkage_factor(sigma_a2, sigma2, n)
    assert 0.0 < k < 1.0


@given(sigma_a2=variances, sigma2=variances, n=st.integers(1, 1000))
def test_shrinkage_factor_grows_with_group_size(sigma_a2, sigma2, n):
    assert shrinkage_factor(sigma_a2, sigma2, n + 1) > shrinkage_factor(sigma_a2, sigma2, n)


@given(sigma_a2=variances, sigma2=variances, n=st.integers(1, 1000))
def test_shrinkage_factor_grows_with_between_group_variance(sigma_a2, sigma2, n):
    assert shrinkage_factor(2 * sigma_a2, sigma2, n) > shrinkage_factor(sigma_a2, sigma2, n)


def test_shrinkage_factor_tends_to_one_as_sigma_a2_grows():
    ks = [shrinkage_factor(s, 1.0, 3) for s in (1e2, 1e4, 1e8)]
    assert ks[0] < ks[1] < ks[2]
    assert 1.0 - ks[2] < 1e-8


def test_shrinkage_factor_tends_to_zero_as_sigma_a2_vanishes():
    assert shrinkage_factor(1e-10, 1.0, 3) < 1e-9
    assert shrinkage_factor(0.0, 1.0, 3) == 0.0


@pytest.mark.parametrize(
    "args, match",
    [((-1.0, 1.0, 3), "sigma_a2"), ((1.0, 0.0, 3), "sigma2"), ((1.0, -2.0, 3), "sigma2"),
     ((np.nan, 1.0, 3), "finite"), ((1.0, 1.0, 0), "at least 1")],
)
def test_shrinkage_factor_rejects_invalid_arguments(args, match):
    with pytest.raises(ValueError, match=match):
        shrinkage_factor(*args)


# --- BLUP -------------------------------------------------------------------

@settings(max_examples=50, deadline=None)
@given(a=st.integers(2, 8), n=st.integers(1, 6), sigma_a2=variances, sigma2=variances,
       seed=st.integers(0, 2**32 - 1))
def test_balanced_blup_is_shrinkage_factor_times_fixed_effect(a, n, sigma_a2, sigma2, seed):
    y, g = simulate_oneway([n] * a, 0.0, 1.0, 1.0, np.random.default_rng(seed))
    expected = shrinkage_factor(sigma_a2, sigma2, n) * fixed_effects(y, g)
    np.testing.assert_allclose(blup(y, g, sigma_a2, sigma2), expected, rtol=1e-9, atol=1e-10)


def test_unbalanced_blup_shrinks_toward_the_gls_mean_not_the_grand_mean():
    y, g = simulate_oneway([1, 2, 12, 30], 0.0, 2.0, 3.0, np.random.default_rng(8))
    sigma_a2, sigma2 = 4.0, 9.0
    mu = gls_mean(y, g, sigma_a2, sigma2)
    k = shrinkage_factor(sigma_a2, sigma2, group_sizes(y, g).to_numpy())
    np.testing.assert_allclose(blup(y, g, sigma_a2, sigma2), k * (group_means(y, g) - mu))
    assert abs(mu - y.mean()) > 1e-3


def test_gls_mean_equals_grand_mean_in_a_balanced_design():
    y, g = simulate_oneway([4] * 5, 2.0, 1.0, 1.0, np.random.default_rng(9))
    assert gls_mean(y, g, 0.7, 1.3) == pytest.approx(y.mean())


@settings(max_examples=40, deadline=None)
@given(sizes=st.lists(st.integers(1, 6), min_size=2, max_size=7), sigma_a2=variances,
       sigma2=variances, seed=st.integers(0, 2**32 - 1))
def test_blup_equals_the_general_mixed_model_blup(sizes, sigma_a2, sigma2, seed):
    y, g = simulate_oneway(sizes, 1.0, 1.0, 1.0, np.random.default_rng(seed))
    X, Z = oneway_matrices(g)
    sol = gls_blup(X, Z, y, sigma_a2 * np.eye(Z.shape[1]), sigma2 * np.eye(len(y)))
    np.testing.assert_allclose(blup(y, g, sigma_a2, sigma2), sol.gamma_hat, rtol=1e-6, atol=1e-8)
    assert gls_mean(y, g, sigma_a2, sigma2) == pytest.approx(sol.beta_hat[0], rel=1e-6, abs=1e-8)


def test_blup_with_zero_between_variance_is_zero():
    y, g = simulate_oneway([3, 4], 0.0, 1.0, 1.0, np.random.default_rng(10))
    np.testing.assert_array_equal(blup(y, g, 0.0, 1.0), [0.0, 0.0])


def test_blup_allows_single_observation_groups():
    out = blup([1.0, 5.0, 6.0], [0, 1, 1], 1.0, 1.0)
    assert np.isfinite(out).all()


def test_blup_rejects_negative_variance():
    with pytest.raises(ValueError, match="sigma_a2 is a variance"):
        blup([1.0, 2.0, 3.0, 4.0], [0, 0, 1, 1], -0.5, 1.0)


# --- Chapter 2: compound symmetry, expected mean squares, negative estimates -

import warnings  # noqa: E402

from scipy import stats  # noqa: E402

from lmmtext.mixed import marginal_cov  # noqa: E402
from lmmtext.oneway import (  # noqa: E402
    compound_symmetry_cov,
    expected_mean_squares,
    intraclass_correlation,
    prob_negative_estimate,
)


def test_compound_symmetry_cov_is_sigma2_identity_plus_sigma_a2_ones():
    V = compound_symmetry_cov(3, 2.0, 5.0)
    np.testing.assert_array_equal(V, 5.0 * np.eye(3) + 2.0 * np.ones((3, 3)))


def test_compound_symmetry_cov_equals_the_marginal_covariance_of_one_group():
    V = marginal_cov(np.ones((4, 1)), [[1.5]], 2.5 * np.eye(4))
    np.testing.assert_allclose(compound_symmetry_cov(4, 1.5, 2.5), V)


@given(n=st.integers(1, 12), sigma_a2=variances, sigma2=variances)
def test_compound_symmetry_eigenvalues_are_sigma2_plus_n_sigma_a2_and_sigma2(n, sigma_a2, sigma2):
    eig = np.linalg.eigvalsh(compound_symmetry_cov(n, sigma_a2, sigma2))
    expected = np.sort([sigma2 + n * sigma_a2] + [sigma2] * (n - 1))
    np.testing.assert_allclose(eig, expected, rtol=1e-9, atol=1e-9 * (sigma2 + n * sigma_a2))


@pytest.mark.parametrize("n, exc, match", [(0, ValueError, "at least 1"), (2.0, TypeError, "integer")])
def test_compound_symmetry_cov_rejects_a_bad_group_size(n, exc, match):
    with pytest.raises(exc, match=match):
        compound_symmetry_cov(n, 1.0, 1.0)


def test_intraclass_correlation_is_the_correlation_of_two_observations_in_a_group():
    V = compound_symmetry_cov(2, 3.0, 9.0)
    rho = V[0, 1] / np.sqrt(V[0, 0] * V[1, 1])
    assert intraclass_correlation(3.0, 9.0) == pytest.approx(rho) == pytest.approx(0.25)


def test_intraclass_correlation_rejects_zero_total_variance():
    with pytest.raises(ValueError, match="total variance"):
        intraclass_correlation(0.0, 0.0)


def test_expected_mean_squares_balanced_n0_is_the_group_size():
    ems = expected_mean_squares(2.0, 3.0, [5, 5, 5, 5])
    assert (ems.n0, ems.ms_within, ems.ms_between) == (5.0, 3.0, 13.0)


def test_expected_mean_squares_unbalanced_n0_formula():
    sizes = np.array([2, 3, 9])
    N, a = sizes.sum(), sizes.size
    ems = expected_mean_squares(1.0, 1.0, sizes)
    assert ems.n0 == pytest.approx((N - np.sum(sizes**2) / N) / (a - 1))
    assert ems.n0 < sizes.mean()


def test_expected_mean_squares_match_simulated_averages_unbalanced():
    sizes, sigma_a2, sigma2 = [2, 3, 5, 8, 12], 4.0, 9.0
    rng = np.random.default_rng(20)
    msa, mse = [], []
    for _ in range(4000):
        y, g = simulate_oneway(sizes, 0.0, np.sqrt(sigma_a2), np.sqrt(sigma2), rng)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            est = anova_estimates(y, g)
        msa.append(est.ms_between)
        mse.append(est.ms_within)
    ems = expected_mean_squares(sigma_a2, sigma2, sizes)
    assert np.mean(mse) == pytest.approx(ems.ms_within, rel=0.02)
    assert np.mean(msa) == pytest.approx(ems.ms_between, rel=0.05)


def test_expected_mean_squares_need_within_group_degrees_of_freedom():
    with pytest.raises(ValueError, match="within-group degrees of freedom"):
        expected_mean_squares(1.0, 1.0, [1, 1, 1])


def test_expected_mean_squares_reject_non_integer_sizes():
    with pytest.raises(TypeError, match="integers"):
        expected_mean_squares(1.0, 1.0, [2.5, 3.0])


def test_prob_negative_estimate_is_the_f_cdf_at_one_over_one_plus_n_tau():
    expected = stats.f.cdf(1 / (1 + 4 * 0.5 / 2.0), 5, 6 * 3)
    assert prob_negative_estimate(0.5, 2.0, 4, 6) == pytest.approx(expected)


def test_prob_negative_estimate_with_zero_between_variance_is_p_f_below_one():
    assert prob_negative_estimate(0.0, 1.0, 3, 5) == pytest.approx(stats.f.cdf(1.0, 4, 10))
    assert prob_negative_estimate(0.0, 1.0, 3, 5) > 0.5


@given(sigma_a2=st.floats(0.0, 100.0), n=st.integers(2, 30), a=st.integers(2, 30))
def test_prob_negative_estimate_falls_as_sigma_a2_grows(sigma_a2, n, a):
    assert prob_negative_estimate(sigma_a2 + 0.5, 1.0, n, a) < prob_negative_estimate(sigma_a2, 1.0, n, a)


def test_prob_negative_estimate_matches_the_simulated_frequency():
    n, a, sigma_a2, sigma2 = 4, 5, 0.5, 4.0
    rng = np.random.default_rng(21)
    reps = 20_000
    alpha = rng.normal(0, np.sqrt(sigma_a2), size=(reps, a, 1))
    y = alpha + rng.normal(0, np.sqrt(sigma2), size=(reps, a, n))
    means = y.mean(axis=2)
    msa = n * np.sum((means - means.mean(axis=1, keepdims=True)) ** 2, axis=1) / (a - 1)
    mse = np.sum((y - means[:, :, None]) ** 2, axis=(1, 2)) / (a * (n - 1))
    p = prob_negative_estimate(sigma_a2, sigma2, n, a)
    assert np.mean(msa < mse) == pytest.approx(p, abs=4 * np.sqrt(p * (1 - p) / reps))


@pytest.mark.parametrize("n, a, exc, match", [(1, 5, ValueError, "n must be at least 2"),
                                              (3, 1, ValueError, "a must be at least 2"),
                                              (3.0, 5, TypeError, "n must be an integer")])
def test_prob_negative_estimate_rejects_bad_design(n, a, exc, match):
    with pytest.raises(exc, match=match):
        prob_negative_estimate(1.0, 1.0, n, a)


def test_sse_over_sigma2_is_chi_square_with_n_minus_a_df():
    sizes = [2, 3, 4, 6]
    rng = np.random.default_rng(22)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        sse = [anova_estimates(*simulate_oneway(sizes, 0.0, 2.0, 1.5, rng)).ss_within / 2.25
               for _ in range(2000)]
    assert stats.kstest(sse, stats.chi2(sum(sizes) - len(sizes)).cdf).pvalue > 0.01


def test_balanced_ssa_scaled_is_chi_square_with_a_minus_1_df_and_independent_of_sse():
    n, a, sigma_a2, sigma2 = 3, 6, 2.0, 1.0
    rng = np.random.default_rng(23)
    ssa, sse = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        for _ in range(2000):
            est = anova_estimates(*simulate_oneway([n] * a, 0.0, np.sqrt(sigma_a2), 1.0, rng))
            ssa.append(est.ss_between / (sigma2 + n * sigma_a2))
            sse.append(est.ss_within)
    assert stats.kstest(ssa, stats.chi2(a - 1).cdf).pvalue > 0.01
    assert abs(np.corrcoef(ssa, sse)[0, 1]) < 0.06


# --- exact and approximate inference for the variance components (Chapter 11) ---------------
def _balanced_reps(a, n, sigma_a2, sigma2, n_rep, seed):
    """Seeded balanced one-way data sets, one row per replicate."""
    rng = np.random.default_rng(seed)
    alpha = rng.normal(0.0, np.sqrt(sigma_a2), size=(n_rep, a, 1))
    y = 5.0 + alpha + rng.normal(0.0, np.sqrt(sigma2), size=(n_rep, a, n))
    return y.reshape(n_rep, a * n), np.repeat(np.arange(a), n)


def test_f_test_between_is_msa_over_mse_with_the_f_tail_probability():
    y, g = [1.0, 2.0, 3.0, 7.0, 8.0, 9.0, 4.0, 6.0], [0, 0, 0, 1, 1, 1, 2, 2]
    est = anova_estimates(y, g)
    t = f_test_between(y, g)
    assert t.statistic == pytest.approx(est.ms_between / est.ms_within)
    assert (t.df_between, t.df_within) == (2, 5)
    assert t.p_value == pytest.approx(scipy.stats.f.sf(t.statistic, 2, 5))


def test_f_test_between_has_its_nominal_size_in_an_unbalanced_design():
    """Seeded: 2,000 data sets with sigma_a^2 = 0, sizes 2..7; P(p <= 0.1) within 3 MC se of 0.1."""
    rng = np.random.default_rng(1111)
    sizes = np.array([2, 3, 4, 5, 6, 7])
    g = np.repeat(np.arange(sizes.size), sizes)
    n_rep, alpha = 2000, 0.1
    p = np.array([f_test_between(rng.standard_normal(g.size), g).p_value for _ in range(n_rep)])
    assert abs(np.mean(p <= alpha) - alpha) < 3 * np.sqrt(alpha * (1 - alpha) / n_rep)


def test_sigma2_interval_is_sse_over_chi_square_quantiles():
    y, g = [1.0, 2.0, 3.0, 7.0, 8.0, 9.0, 4.0, 6.0], [0, 0, 0, 1, 1, 1, 2, 2]
    sse = anova_estimates(y, g).ss_within
    lo, hi = sigma2_interval(y, g, level=0.9)
    np.testing.assert_allclose([lo, hi], [sse / scipy.stats.chi2.ppf(0.95, 5), sse / scipy.stats.chi2.ppf(0.05, 5)])


def test_variance_ratio_interval_inverts_the_f_pivot():
    """At the ends, F* / (1 + n tau) is the 1 - alpha/2 and alpha/2 quantile of F(a-1, a(n-1))."""
    y, g = _balanced_reps(6, 4, 1.0, 1.0, 1, 3)
    y = y[0]
    est = anova_estimates(y, g)
    F = est.ms_between / est.ms_within
    lo, hi = variance_ratio_interval(y, g, level=0.9)
    np.testing.assert_allclose(scipy.stats.f.cdf(F / (1 + 4 * np.array([lo, hi])), 5, 18), [0.95, 0.05])
    np.testing.assert_allclose(icc_interval(y, g, level=0.9), [lo / (1 + lo), hi / (1 + hi)])


def test_mls_interval_reduces_to_the_exact_chi_square_interval_when_mse_is_zero():
    """Burdick & Graybill (1992): with S2^2 = 0 the MLS ends are SSA / (n chi2_{1-a}), SSA / (n chi2_a)."""
    y = np.repeat([1.0, 4.0, 2.0, 7.0, 5.0], 3)
    g = np.repeat(np.arange(5), 3)
    ssa = anova_estimates(y, g).ss_between
    lo, hi = between_variance_interval_mls(y, g, level=0.9)
    np.testing.assert_allclose([lo, hi], [ssa / (3 * scipy.stats.chi2.ppf(0.95, 4)),
                                          ssa / (3 * scipy.stats.chi2.ppf(0.05, 4))])


def test_exact_and_mls_intervals_cover_at_the_nominal_rate_in_a_seeded_simulation():
    """2,000 balanced data sets (a = 8, n = 4, sigma_a^2 = 0.5, sigma^2 = 1): the coverage of each
    95% interval lies within 3 Monte Carlo standard errors (0.0146) of 0.95."""
    a, n, sigma_a2, sigma2, n_rep = 8, 4, 0.5, 1.0, 2000
    Y, g = _balanced_reps(a, n, sigma_a2, sigma2, n_rep, 20261204)
    truth = {sigma2_interval: sigma2, variance_ratio_interval: sigma_a2 / sigma2,
             icc_interval: sigma_a2 / (sigma_a2 + sigma2), between_variance_interval_mls: sigma_a2}
    se = np.sqrt(0.95 * 0.05 / n_rep)
    for interval, value in truth.items():
        ends = np.array([interval(y, g) for y in Y])
        coverage = np.mean((ends[:, 0] <= value) & (value <= ends[:, 1]))
        assert abs(coverage - 0.95) < 3 * se, (interval.__name__, coverage)


def test_exact_ratio_interval_refuses_an_unbalanced_design():
    with pytest.raises(ValueError, match="balanced design"):
        variance_ratio_interval([1.0, 2.0, 3.0, 7.0, 8.0], [0, 0, 0, 1, 1])


@pytest.mark.parametrize("level, exc", [(1.5, ValueError), (0.0, ValueError), ("0.9", TypeError)])
def test_intervals_reject_a_bad_level(level, exc):
    with pytest.raises(exc, match="level"):
        sigma2_interval([1.0, 2.0, 3.0, 7.0], [0, 0, 1, 1], level=level)
