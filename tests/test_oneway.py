"""Specifications for lmmtext.oneway: the one-way model of Chapter 1."""
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lmmtext.mixed import gls_blup
from lmmtext.oneway import (
    anova_estimates,
    blup,
    fixed_effects,
    gls_mean,
    group_means,
    group_sizes,
    shrinkage_factor,
    simulate_oneway,
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
