"""lmmtext.profile: profile, Wald and bootstrap confidence intervals against lme4 (Chapter 11).

Reference values from lme4 1.1-31 on R 4.2.2 (Rscript, computed 2026-12-04), every fit
tightly converged:

  ctl <- lmerControl(optimizer = "nloptwrap", optCtrl = list(xtol_abs = 1e-14, ftol_abs = 1e-16))
  fit <- lmer(<formula>, <data>, REML = <REML>, control = ctl)
  confint(fit, oldNames = FALSE)                   # method = "profile"
  confint(fit, oldNames = FALSE, method = "Wald")

lme4 profiles the ML deviance also for a REML fit (``devfun2`` calls ``refitML``), so
Dyestuff's REML and ML profile intervals are the same numbers.  lme4 interpolates its
profile with splines; lmmtext finds each end as a root of zeta directly.  The largest
relative difference below is 1.7e-4 (Dyestuff's sd lower end, Dyestuff2's intercept);
see the test of zeta at both ends for which one is the root.
"""
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.stats
from threadpoolctl import threadpool_limits

import lmmtext
from lmmtext.datasets import (
    load_dyestuff, load_dyestuff2, load_pastes, load_penicillin, load_sleepstudy,
)
from lmmtext.profile import _Profiler, bootstrap, confint, percentile_interval, profile

Z95 = scipy.stats.norm.ppf(0.975)

LME4_PROFILE = {
    "dyestuff": {
        "sd_Intercept|Batch": (12.19853521, 84.06304671),
        "sigma": (38.22998488, 67.65769624),
        "Intercept": (1486.45149997, 1568.54849437),
    },
    "dyestuff2": {
        "sd_Intercept|Batch": (0.0, 2.084043489),
        "sigma": (2.892831020, 4.815832552),
        "Intercept": (4.312100217, 7.019092347),
    },
    "sleepstudy": {
        "sd_Intercept|Subject": (14.3814734786, 37.7159918588),
        "cor_Days.Intercept|Subject": (-0.4815007613, 0.6849862733),
        "sd_Days|Subject": (3.8011640596, 8.7533805675),
        "sigma": (22.8982668811, 28.8579965114),
        "Intercept": (237.6806955052, 265.1295146802),
        "Days": (7.3586532751, 13.5759187517),
    },
    "penicillin": {
        "sd_Intercept|plate": (0.6335659669, 1.1821039697),
        "sd_Intercept|sample": (1.0957891882, 3.5562916368),
        "sigma": (0.4858454002, 0.6294534785),
        "Intercept": (21.2666273836, 24.6778176162),
    },
    # lme4 names the nested factor cask:batch; lmmtext by the key of fit.covariance.
    "pastes": {
        "sd_Intercept|batch:cask": (2.1579337082, 4.053588940),
        "sd_Intercept|batch": (0.0, 2.946591097),
        "sigma": (0.6520233561, 1.085448104),
        "Intercept": (58.6636503787, 61.443016368),
    },
}

MODELS = {
    "dyestuff": ("Yield ~ 1 + (1 | Batch)", load_dyestuff),
    "dyestuff2": ("Yield ~ 1 + (1 | Batch)", load_dyestuff2),
    "sleepstudy": ("Reaction ~ Days + (Days | Subject)", load_sleepstudy),
    "penicillin": ("diameter ~ 1 + (1 | plate) + (1 | sample)", load_penicillin),
    "pastes": ("strength ~ 1 + (1 | batch/cask)", load_pastes),
}


def _fit(name, method="REML"):
    formula, load = MODELS[name]
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="boundary \\(singular\\) fit")
        return lmmtext.lmm(formula, load(), method)


@pytest.fixture(scope="module")
def fits():
    return {name: _fit(name) for name in MODELS}


@pytest.fixture(scope="module")
def profile_intervals(fits):
    return {name: confint(fit) for name, fit in fits.items()}


# -- profile intervals ------------------------------------------------------------------------
@pytest.mark.parametrize("model", list(LME4_PROFILE))
def test_profile_intervals_match_lme4_confint(profile_intervals, model):
    ci = profile_intervals[model]
    ref = pd.DataFrame(LME4_PROFILE[model], index=["lower", "upper"]).T
    assert sorted(ci.index) == sorted(ref.index)
    np.testing.assert_allclose(ci.loc[ref.index].to_numpy(), ref.to_numpy(), rtol=1e-3, atol=0)


def test_profile_rows_are_named_and_ordered_as_lme4_oldnames_false(profile_intervals):
    assert list(profile_intervals["sleepstudy"].index) == list(LME4_PROFILE["sleepstudy"])
    assert list(profile_intervals["sleepstudy"].columns) == ["lower", "upper"]


def test_reml_and_ml_fits_have_the_same_profile_intervals_because_lme4_profiles_the_ml_deviance(
        profile_intervals):
    ci_ml = confint(_fit("dyestuff", "ML"))
    np.testing.assert_allclose(ci_ml.to_numpy(), profile_intervals["dyestuff"].to_numpy(), rtol=1e-7)


def test_profile_ends_are_roots_of_zeta_closer_than_lme4s_spline_ends(fits, profile_intervals):
    """zeta at lmmtext's end is +/- 1.959964 to 1e-7; at lme4's end it is off by up to 1e-3.

    lme4 inverts a spline through a dozen profile points, lmmtext solves zeta(v) = +/- z
    by Brent's method.  Evaluated with lmmtext's profile (2026-12-04): Dyestuff's sd lower
    end, lme4 12.19853521 gives zeta = -1.9598433, lmmtext's 12.1965053 gives -1.95996399;
    Dyestuff2's intercept lower end, lme4 4.312100217 gives -1.9609121, lmmtext's
    4.3128375 gives -1.95996398.  So lmmtext's ends are the closer to the true roots.
    """
    cases = [("dyestuff", "sd_Intercept|Batch", 12.19853521), ("dyestuff2", "Intercept", 4.312100217)]
    for model, name, lme4_lower in cases:
        with threadpool_limits(limits=1, user_api="blas"):
            prof = _Profiler(fits[model])
            k = prof.names.index(name)
            ours = profile_intervals[model].loc[name, "lower"]
            assert abs(prof.zeta(k, ours) + Z95) < 1e-7
            assert abs(prof.zeta(k, lme4_lower) + Z95) > 1e-4


@pytest.mark.parametrize("model, name", [("dyestuff2", "sd_Intercept|Batch"),
                                         ("pastes", "sd_Intercept|batch")])
def test_sd_whose_profile_stays_above_minus_z_down_to_zero_has_lower_end_zero(profile_intervals, model, name):
    assert profile_intervals[model].loc[name, "lower"] == 0.0


def test_correlation_estimated_at_one_has_upper_end_one_and_a_monotone_profile():
    """Random intercepts and slopes drawn with slope = 0.5 x intercept: the ML estimate of the
    correlation is 1 (a singular fit).  lme4 1.1-31 on these data (written to CSV) reports
    cor [-1, 1] and sd_x [0.679, 1.250] with "non-monotonic profile" warnings; its other
    ends agree with lmmtext's: sd_Intercept [1.1520803, 2.8625043], sigma [0.70565639,
    1.0105389], Intercept [9.2973986, 11.565367], x [0.55843582, 1.7324276].
    """
    rng = np.random.default_rng(11)
    a, m = 12, 6
    g = np.repeat(np.arange(a), m)
    x = np.tile(np.arange(m, dtype=float), a)
    b0 = 2.0 * rng.standard_normal(a)
    y = 10 + b0[g] + 0.5 * b0[g] * x + x + rng.standard_normal(a * m)
    d = pd.DataFrame({"y": y, "x": x, "g": pd.Categorical(g.astype(str))})
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="boundary \\(singular\\) fit")
        fit = lmmtext.lmm("y ~ x + (x | g)", d, "ML")
    ci = confint(fit)
    assert ci.loc["cor_x.Intercept|g", "upper"] == 1.0
    ref = {"sd_Intercept|g": (1.1520803133, 2.862504341), "sigma": (0.7056563938, 1.010538905),
           "Intercept": (9.2973986444, 11.565366559), "x": (0.5584358226, 1.732427582)}
    np.testing.assert_allclose(ci.loc[list(ref)].to_numpy(), np.array(list(ref.values())), rtol=1e-3)
    with threadpool_limits(limits=1, user_api="blas"):
        prof = _Profiler(fit)
        k = prof.names.index("cor_x.Intercept|g")
        grid = np.linspace(ci.loc["cor_x.Intercept|g", "lower"], 1.0, 5)
        assert np.all(np.diff([prof.zeta(k, v) for v in grid]) > 0)


# -- profile() ----------------------------------------------------------------------------------
def test_profile_zeta_is_zero_at_the_estimate_and_increases_with_the_value(fits):
    p = profile(fits["dyestuff"], n_points=4)
    assert list(p.columns) == ["parameter", "value", "zeta"]
    assert list(p["parameter"].unique()) == list(LME4_PROFILE["dyestuff"])
    for _, part in p.groupby("parameter"):
        assert np.all(np.diff(part["zeta"]) > 0)
        assert (part["zeta"] == 0).sum() == 1
        np.testing.assert_allclose(part["zeta"].abs().max(), scipy.stats.norm.ppf(0.995), rtol=1e-6)


def test_profile_rejects_a_non_positive_number_of_points(fits):
    with pytest.raises(ValueError, match="n_points"):
        profile(fits["dyestuff"], n_points=0)


# -- Wald ---------------------------------------------------------------------------------------
def test_wald_intervals_match_lme4_and_leave_variance_rows_nan(fits):
    """lme4: confint(fit, method = "Wald") of the REML fits: fixef -/+ qnorm(0.975) se."""
    ci = confint(fits["sleepstudy"], method="Wald")
    np.testing.assert_allclose(ci.loc[["Intercept", "Days"]].to_numpy(),
                               [[238.02914112, 264.78106858], [7.43759393, 13.49697799]], rtol=1e-6)
    assert ci.iloc[:4].isna().all().all()
    ci = confint(fits["dyestuff"], method="wald")
    np.testing.assert_allclose(ci.loc["Intercept"].to_numpy(), [1489.50921, 1565.49079], rtol=1e-8)


def test_wald_interval_is_fixef_plus_minus_z_times_se_at_any_level(fits):
    fit = fits["penicillin"]
    ci = confint(fit, method="wald", level=0.8)
    z = scipy.stats.norm.ppf(0.9)
    np.testing.assert_allclose(ci.loc["Intercept", "lower"], fit.fixef["Intercept"] - z * fit.fixef_se["Intercept"])
    np.testing.assert_allclose(ci.loc["Intercept", "upper"], fit.fixef["Intercept"] + z * fit.fixef_se["Intercept"])


# -- bootstrap ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def dyestuff_boot(fits):
    return bootstrap(fits["dyestuff"], 60, np.random.default_rng(2026))


def test_boot_interval_is_the_percentile_interval_of_the_bootstrap_sample(fits, dyestuff_boot):
    ci = confint(fits["dyestuff"], method="boot", n_boot=60, rng=np.random.default_rng(2026))
    expected = np.quantile(dyestuff_boot.to_numpy(), [0.025, 0.975], axis=0).T
    np.testing.assert_allclose(ci.to_numpy(), expected, rtol=1e-12)
    assert list(ci.index) == list(LME4_PROFILE["dyestuff"])


def test_boot_interval_covers_the_estimate(fits, dyestuff_boot):
    fit = fits["dyestuff"]
    ci = percentile_interval(dyestuff_boot)
    estimate = [np.sqrt(fit.covariance["Batch"].iloc[0, 0]), np.sqrt(fit.sigma2), fit.fixef["Intercept"]]
    assert np.all((ci["lower"] <= estimate) & (estimate <= ci["upper"]))


def test_bootstrap_intercept_averages_to_the_estimate_within_four_standard_errors(fits, dyestuff_boot):
    fit = fits["dyestuff"]
    draws = dyestuff_boot["Intercept"]
    assert abs(draws.mean() - fit.fixef["Intercept"]) < 4 * draws.std() / np.sqrt(draws.size)


def test_percentile_interval_interpolates_between_order_statistics():
    sample = pd.DataFrame({"a": np.arange(11.0), "b": np.arange(11.0)[::-1] * 2})
    ci = percentile_interval(sample, level=0.9)
    np.testing.assert_allclose(ci.to_numpy(), [[0.5, 9.5], [1.0, 19.0]])


def test_boot_requires_n_boot_and_a_generator(fits):
    with pytest.raises(ValueError, match="n_boot and rng"):
        confint(fits["dyestuff"], method="boot", n_boot=10)
    with pytest.raises(TypeError, match="Generator"):
        bootstrap(fits["dyestuff"], 10, rng=1)


# -- bad input ----------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, exc, match", [
    ({"method": "likelihood"}, ValueError, "method must be one of"),
    ({"level": 1.0}, ValueError, "level"),
    ({"level": "0.95"}, TypeError, "level"),
])
def test_confint_rejects_bad_arguments(fits, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        confint(fits["dyestuff"], **kwargs)


def test_confint_rejects_something_that_is_not_a_fit():
    with pytest.raises(TypeError, match="fit must be a fit"):
        confint(pd.DataFrame())
