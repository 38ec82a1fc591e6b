"""lmm(): lme4 formulae, lme4's estimates, invariants of the fit, and clear errors on bad input."""
import warnings

import numpy as np
import pandas as pd
import pytest

from lmmtext.datasets import load_dyestuff, load_dyestuff2, load_penicillin, load_sleepstudy
from lmmtext.lmm import lmm
from lmmtext.mixed import gls_blup
from lmmtext.oneway import anova_estimates

# Reference values: lme4 1.1-31 on R 4.2.2 (Debian 12), computed 2026-11-25 with
#   lmer(..., control = lmerControl(optimizer = "nloptwrap",
#        optCtrl = list(xtol_abs = 1e-14, ftol_abs = 1e-15, xtol_rel = 0, ftol_rel = 0)))
# (tightened so that the optimum itself, not lme4's stopping rule, is compared), and
#   fixef(m); sqrt(diag(vcov(m))); as.data.frame(VarCorr(m)); sigma(m)^2; logLik(m).
# Rounded published values agree: Bates, Maechler, Bolker & Walker (2015), J. Stat. Softw.
# 67(1): sleepstudy REML (sec. 3.6) Subject variances 612.09 and 35.07, correlation 0.07,
# residual 654.94, REML criterion 1743.6, fixed effects 251.405 (6.825) and 10.467 (1.546);
# Bates, lme4: Mixed-effects modeling with R (2010), ch. 1: Dyestuff REML 1764.0 and
# 2451.3 (sd 42.00, 49.51), REML criterion 319.65; Dyestuff2 batch variance 0.
# keys: (data set, method) -> fixef, se, {group: variances (and covariance)}, sigma2, logLik
FORMULAS = {
    "dyestuff": "Yield ~ 1 + (1 | Batch)",
    "dyestuff2": "Yield ~ 1 + (1 | Batch)",
    "sleepstudy": "Reaction ~ Days + (Days | Subject)",
    "penicillin": "diameter ~ 1 + (1 | plate) + (1 | sample)",
}
LOADERS = {
    "dyestuff": load_dyestuff, "dyestuff2": load_dyestuff2,
    "sleepstudy": load_sleepstudy, "penicillin": load_penicillin,
}
LME4 = {
    ("dyestuff", "REML"): dict(
        fixef=[1527.5], se=[19.3834128326225], cov={"Batch": [[1764.05016540860]]},
        sigma2=2451.24996415333, loglik=-159.827138421129),
    ("dyestuff", "ML"): dict(
        fixef=[1527.5], se=[17.694553203007], cov={"Batch": [[1388.33327473536]]},
        sigma2=2451.2500179445, loglik=-163.663529940568),
    ("dyestuff2", "REML"): dict(
        fixef=[5.6656], se=[0.678388031232524], cov={"Batch": [[0.0]]},
        sigma2=13.8063096275862, loglik=-80.9141389061442),
    ("dyestuff2", "ML"): dict(
        fixef=[5.6656], se=[0.666985739644326], cov={"Batch": [[0.0]]},
        sigma2=13.3460993066667, loglik=-81.4365183269129),
    ("sleepstudy", "REML"): dict(
        fixef=[251.4051048484840, 10.4672859595964], se=[6.82455626155296, 1.54578889288849],
        cov={"Subject": [[612.08987022239307, 9.60434122725561], [9.60434122725561, 35.07166023933963]]},
        sigma2=654.94103279996750, loglik=-871.814135979245),
    ("sleepstudy", "ML"): dict(
        fixef=[251.4051048484832, 10.4672859595958], se=[6.63227681340898, 1.50223679551974],
        cov={"Subject": [[565.5153687823073, 11.0554265192211], [11.0554265192211, 32.6821979165720]]},
        sigma2=654.9410257557272, loglik=-875.969672231599),
    ("penicillin", "REML"): dict(
        fixef=[22.9722222222334], se=[0.808573359510854],
        cov={"plate": [[0.716908178906095]], "sample": [[3.730917577258827]]},
        sigma2=0.302415462585177, loglik=-165.430294495543),
    ("penicillin", "ML"): dict(
        fixef=[22.9722222222221], se=[0.744595813072762],
        cov={"plate": [[0.714992323128872]], "sample": [[3.135188409113475]]},
        sigma2=0.302425420267241, loglik=-166.09417433425),
}
CASES = sorted(LME4)


def fit_case(name, method):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # Dyestuff2 is singular
        return lmm(FORMULAS[name], LOADERS[name](), method=method)


@pytest.fixture(scope="module")
def fits():
    return {case: fit_case(*case) for case in CASES}


@pytest.mark.parametrize("case", CASES, ids=["-".join(c) for c in CASES])
def test_fixed_effects_and_standard_errors_match_lme4(fits, case):
    fit, ref = fits[case], LME4[case]
    np.testing.assert_allclose(fit.fixef.to_numpy(), ref["fixef"], rtol=1e-8)
    np.testing.assert_allclose(fit.fixef_se.to_numpy(), ref["se"], rtol=1e-5)


@pytest.mark.parametrize("case", CASES, ids=["-".join(c) for c in CASES])
def test_variance_components_match_lme4(fits, case):
    fit, ref = fits[case], LME4[case]
    assert set(fit.covariance) == set(ref["cov"])
    for group, cov in ref["cov"].items():
        np.testing.assert_allclose(fit.covariance[group].to_numpy(), cov, rtol=1e-5, atol=1e-9)
    np.testing.assert_allclose(fit.sigma2, ref["sigma2"], rtol=1e-5)


@pytest.mark.parametrize("case", CASES, ids=["-".join(c) for c in CASES])
def test_log_likelihood_matches_lme4(fits, case):
    fit, ref = fits[case], LME4[case]
    np.testing.assert_allclose(fit.loglik, ref["loglik"], rtol=1e-9)
    criterion = fit.reml_criterion if case[1] == "REML" else fit.deviance
    np.testing.assert_allclose(criterion, -2 * ref["loglik"], rtol=1e-9)


def test_deviance_of_reml_fit_is_ml_deviance_at_reml_estimates():
    # lme4 1.1-31: REMLcrit(ML fit of Dyestuff) = 319.725814052275 (the other direction).
    fit = lmm(FORMULAS["dyestuff"], load_dyestuff(), method="ML")
    np.testing.assert_allclose(fit.reml_criterion, 319.725814052275, rtol=1e-8)


def test_sleepstudy_conditional_modes_match_lme4(fits):
    # lme4 1.1-31, ranef(m)$Subject[1:3, ] of the REML fit above.
    ranef = fits["sleepstudy", "REML"].ranef["Subject"]
    assert list(ranef.columns) == ["Intercept", "Days"]
    expected = [[2.2585661715957, 9.19897177661150], [-40.3985792785860, -8.61970282628892],
                [-38.9602478933825, -5.44887960856489]]
    np.testing.assert_allclose(ranef.loc[["308", "309", "310"]].to_numpy(), expected, rtol=1e-4)


def test_penicillin_conditional_modes_match_lme4(fits):
    # lme4 1.1-31, ranef(m)$plate[1:3, ] and ranef(m)$sample[1:3, ] (REML).
    fit = fits["penicillin", "REML"]
    np.testing.assert_allclose(fit.ranef["plate"].iloc[:3, 0], [0.804547041302519, 0.804547041302519,
                                                                 0.181671912552024], rtol=1e-5)
    np.testing.assert_allclose(fit.ranef["sample"].iloc[:3, 0], [2.18705796674376, -1.01047614920780,
                                                                  1.93789946420208], rtol=1e-5)


def test_theta_matches_lme4_for_sleepstudy(fits):
    # lme4 1.1-31 getME(m, "theta"): lower triangle of T column by column.
    np.testing.assert_allclose(fits["sleepstudy", "REML"].theta,
                               [0.9667328935905414, 0.0151690675460488, 0.2309095920181043], rtol=1e-5, atol=1e-7)


def test_singular_fit_warns_and_is_flagged():
    with pytest.warns(UserWarning, match="singular"):
        fit = lmm(FORMULAS["dyestuff2"], load_dyestuff2())
    assert fit.singular
    assert fit.covariance["Batch"].iat[0, 0] == 0.0
    assert fit.converged


def test_regular_fit_is_not_singular_and_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit = lmm(FORMULAS["dyestuff"], load_dyestuff())
    assert not fit.singular and fit.converged


def test_blups_equal_conditional_mean_from_gls_blup(fits):
    fit = fits["sleepstudy", "REML"]
    s = load_sleepstudy()
    n_subj = s["Subject"].nunique()
    codes = s["Subject"].cat.codes.to_numpy()
    Z = np.zeros((len(s), 2 * n_subj))
    Z[np.arange(len(s)), 2 * codes] = 1.0
    Z[np.arange(len(s)), 2 * codes + 1] = s["Days"]
    X = np.column_stack([np.ones(len(s)), s["Days"]])
    D = np.kron(np.eye(n_subj), fit.covariance["Subject"].to_numpy())
    sol = gls_blup(X, Z, s["Reaction"], D, fit.sigma2 * np.eye(len(s)))
    np.testing.assert_allclose(fit.ranef["Subject"].to_numpy().ravel(), sol.gamma_hat, rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(fit.fixef.to_numpy(), sol.beta_hat, rtol=1e-10)


def test_reml_on_balanced_one_way_equals_anova_estimates(fits):
    fit = fits["dyestuff", "REML"]
    d = load_dyestuff()
    anova = anova_estimates(d["Yield"], d["Batch"])
    np.testing.assert_allclose(fit.covariance["Batch"].iat[0, 0], anova.sigma_a2, rtol=1e-6)
    np.testing.assert_allclose(fit.sigma2, anova.sigma2, rtol=1e-6)


def test_fitted_plus_residuals_is_the_response(fits):
    fit = fits["penicillin", "ML"]
    np.testing.assert_allclose(fit.fitted + fit.resid, load_penicillin()["diameter"])
    assert fit.nobs == 144 and fit.method == "ML"


def test_slope_only_term_includes_the_intercept_as_in_lme4():
    s = load_sleepstudy()
    short = lmm("Reaction ~ Days + (Days | Subject)", s)
    long = lmm("Reaction ~ 1 + Days + (1 + Days | Subject)", s)
    np.testing.assert_allclose(short.loglik, long.loglik, rtol=1e-12)
    assert list(short.covariance["Subject"].index) == ["Intercept", "Days"]


def test_uncorrelated_terms_of_one_factor_give_one_matrix_with_zero_covariance():
    # lme4 1.1-31, Reaction ~ Days + (1|Subject) + (0 + Days|Subject), REML, tightened optimizer:
    # variances 627.5690645335040 and 35.8581982307896, residual 653.5838158068233,
    # logLik -871.834646790656.
    fit = lmm("Reaction ~ Days + (1 | Subject) + (0 + Days | Subject)", load_sleepstudy())
    cov = fit.covariance["Subject"]
    assert list(cov.index) == ["Intercept", "Days"]
    np.testing.assert_allclose(cov.to_numpy(), [[627.5690645335040, 0.0], [0.0, 35.8581982307896]], rtol=1e-5)
    np.testing.assert_allclose(fit.sigma2, 653.5838158068233, rtol=1e-5)
    np.testing.assert_allclose(fit.loglik, -871.834646790656, rtol=1e-9)
    assert list(fit.ranef["Subject"].columns) == ["Intercept", "Days"]


def nested_data() -> pd.DataFrame:
    """6 batches x 3 casks (labels a-c reused in every batch) x 2, a 3-level factor and a covariate."""
    rng = np.random.default_rng(2015)
    g1 = np.repeat([f"b{i}" for i in range(1, 7)], 6)
    g2 = np.tile(np.repeat(["a", "b", "c"], 2), 6)
    f = np.tile(["ctl", "trtA", "trtB"], 12)
    x = np.round(rng.uniform(0, 10, 36), 2)
    batch = rng.normal(0, 2.0, 6)[np.repeat(np.arange(6), 6)]
    cask = rng.normal(0, 1.5, 18)[np.repeat(np.arange(18), 2)]
    y = 10 + np.array([0, 1.0, -0.5])[np.tile([0, 1, 2], 12)] + 0.3 * x + batch + cask + rng.normal(0, 1.0, 36)
    return pd.DataFrame({"y": np.round(y, 3), "f": f, "x": x, "g1": g1, "g2": g2})


# lme4 1.1-31, R 4.2.2, 2026-11-25: lmer(y ~ f + x + (1|g1/g2), nested_data(), tightened optimizer)
NESTED_LME4 = {
    "REML": dict(fixef=[10.477154219135533, 1.452527529736200, -0.755782241814151, 0.305579908668383],
                 g1=5.21964112074610, g1g2=1.71823253583645, sigma2=1.28004969182149, loglik=-71.4405881036305),
    "ML": dict(fixef=[10.464444973002916, 1.425198042171246, -0.773167285338745, 0.310583972062333],
               g1=4.24824823776079, g1g2=1.73313299379250, sigma2=1.09491749755925, loglik=-71.2120462547923),
}


@pytest.mark.parametrize("method", ["REML", "ML"])
def test_nested_factors_and_treatment_coding_match_lme4(method):
    fit = lmm("y ~ f + x + (1 | g1/g2)", nested_data(), method=method)
    ref = NESTED_LME4[method]
    assert list(fit.fixef.index) == ["Intercept", "f[trtA]", "f[trtB]", "x"]
    np.testing.assert_allclose(fit.fixef.to_numpy(), ref["fixef"], rtol=1e-6)
    assert set(fit.covariance) == {"g1", "g1:g2"}
    np.testing.assert_allclose(fit.covariance["g1"].iat[0, 0], ref["g1"], rtol=1e-5)
    np.testing.assert_allclose(fit.covariance["g1:g2"].iat[0, 0], ref["g1g2"], rtol=1e-5)
    np.testing.assert_allclose(fit.sigma2, ref["sigma2"], rtol=1e-5)
    np.testing.assert_allclose(fit.loglik, ref["loglik"], rtol=1e-9)


def test_nested_shorthand_equals_explicit_interaction():
    d = nested_data()
    short = lmm("y ~ x + (1 | g1/g2)", d)
    explicit = lmm("y ~ x + (1 | g1) + (1 | g1:g2)", d)
    np.testing.assert_allclose(short.loglik, explicit.loglik, rtol=1e-12)
    assert short.ranef["g1:g2"].shape == (18, 1)
    assert short.ranef["g1:g2"].index[0] == "b1:a"


def test_summary_reads_like_lme4(fits):
    text = fits["dyestuff", "REML"].summary()
    for piece in ["Linear mixed model fit by REML", "REML criterion at convergence: 319.7",
                  "Random effects:", "Batch", "Residual", "Number of obs: 30, groups: Batch, 6",
                  "Fixed effects:", "Std. Error"]:
        assert piece in text
    assert "logLik" in fits["sleepstudy", "ML"].summary()


def test_optsummary_records_start_bounds_and_final_criterion(fits):
    fit = fits["sleepstudy", "REML"]
    opt = fit.optsummary
    assert opt.theta_start.tolist() == [1.0, 0.0, 1.0]
    assert opt.lower.tolist() == [0.0, -np.inf, 0.0]
    np.testing.assert_allclose(opt.objective_final, fit.reml_criterion)
    assert opt.n_evaluations > 0


# -- bad input ------------------------------------------------------------------------------
def test_grouping_factor_with_one_level_raises():
    d = load_dyestuff().assign(Site="only")
    with pytest.raises(ValueError, match="grouping factor 'Site' has only one level"):
        lmm("Yield ~ 1 + (1 | Site)", d)


def test_nan_in_unused_column_is_ignored():
    d = load_dyestuff().assign(note=np.nan)
    assert lmm("Yield ~ 1 + (1 | Batch)", d).nobs == 30


def test_rank_deficient_fixed_effects_raise():
    s = load_sleepstudy().assign(Days2=lambda f: 2 * f["Days"])
    with pytest.raises(ValueError, match="rank deficient"):
        lmm("Reaction ~ Days + Days2 + (1 | Subject)", s)


def test_non_numeric_response_raises():
    d = load_dyestuff().assign(Grade=lambda f: np.where(f["Yield"] > 1500, "good", "poor"))
    with pytest.raises(TypeError, match="response 'Grade' must be numeric"):
        lmm("Grade ~ 1 + (1 | Batch)", d)


def test_more_random_effects_than_observations_raises():
    d = load_dyestuff().assign(Obs=[f"o{i}" for i in range(30)])
    with pytest.raises(ValueError, match="more random effects than observations"):
        lmm("Yield ~ 1 + (1 | Obs)", d)


def test_formula_without_random_term_raises():
    with pytest.raises(ValueError, match="no random-effects term"):
        lmm("Yield ~ 1", load_dyestuff())


def test_formula_without_tilde_raises():
    with pytest.raises(ValueError, match="response ~ terms"):
        lmm("Yield + (1 | Batch)", load_dyestuff())


def test_data_must_be_a_dataframe():
    with pytest.raises(TypeError, match="data must be a pandas DataFrame"):
        lmm("Yield ~ 1 + (1 | Batch)", load_dyestuff().to_dict())


def test_unknown_method_raises():
    with pytest.raises(ValueError, match="method must be 'REML' or 'ML'"):
        lmm("Yield ~ 1 + (1 | Batch)", load_dyestuff(), method="REM")


def crossed_data() -> pd.DataFrame:
    """600 x 400 crossed factors and an 8-level factor with a small variance (n = 3000)."""
    rng = np.random.default_rng(5)
    n, n_s, n_d, n_dept = 3000, 600, 400, 8
    s, d = rng.integers(n_s, size=n), rng.integers(n_d, size=n)
    dept = rng.integers(n_dept, size=n_d)[d]
    y = (3 + rng.normal(0, 0.32, n_s)[s] + rng.normal(0, 0.51, n_d)[d] + rng.normal(0, 0.08, n_dept)[dept]
         + rng.normal(0, 1.18, n))
    return pd.DataFrame({"y": y, "s": s.astype(str), "d": d.astype(str), "dept": dept.astype(str)})


def test_small_variance_is_not_left_at_zero_by_the_gradient_method():
    # L-BFGS-B reaches theta_dept = 0, where the derivative vanishes by symmetry; the
    # boundary probe must carry it back to lme4's interior optimum.  lme4 1.1-31, R 4.2.2,
    # tightened nloptwrap: theta (0.2561409848507745, 0.4114875071778132, 0.0401086788868015),
    # variances s 0.0945007878121511, d 0.24388808743798, dept 0.00231714917257346,
    # residual 1.44038065176784, REML logLik -5044.7521598185.  The likelihood is flat in
    # the s direction (lmm's optimum is 1.5e-9 lower in logLik), hence rtol 1e-4 there.
    fit = lmm("y ~ 1 + (1 | s) + (1 | d) + (1 | dept)", crossed_data())
    np.testing.assert_allclose(fit.loglik, -5044.7521598185, rtol=1e-11)
    np.testing.assert_allclose(
        [fit.covariance[g].iat[0, 0] for g in ("s", "d", "dept")],
        [0.0945007878121511, 0.24388808743798, 0.00231714917257346], rtol=1e-4)
    np.testing.assert_allclose(fit.sigma2, 1.44038065176784, rtol=1e-5)
    assert not fit.singular


def test_the_fitter_is_called_as_lmmtext_lmm():
    """``lmmtext.lmm(formula, data, method)``, the interface the issue names, is :func:`lmm`."""
    import lmmtext

    assert lmmtext.lmm is lmm
    result = lmmtext.lmm("Yield ~ 1 + (1 | Batch)", load_dyestuff(), method="ML")
    assert result.method == "ML"
