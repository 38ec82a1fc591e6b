"""lmmtext.ddf: Satterthwaite and Kenward-Roger t and F tests of fixed effects (Chapter 10).

Reference values from R 4.2.2, lme4 1.1-31, lmerTest 3.1-3, pbkrtest 0.5.2 (Rscript, 2026-12-04).
Every model was fitted twice, tightly, and the fit with the lower criterion kept:

  ctrl  <- lmerControl(optimizer = "nloptwrap", optCtrl = list(xtol_abs = 1e-14, ftol_abs = 1e-16))
  ctrl2 <- lmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-12, maxfun = 1e5))
  fit <- lmer(formula, data, REML = REML, control = ctrl)   # and control = ctrl2
  getME(fit, "theta")
  summary(fit)$coefficients                                  # Satterthwaite
  summary(fit, ddf = "Kenward-Roger")$coefficients
  contest(fit, L, joint = TRUE)[, c("F value", "NumDF", "DenDF", "Pr(>F)")]
  contest(fit, L, joint = TRUE, ddf = "Kenward-Roger")[, c("F value", "NumDF", "DenDF", "Pr(>F)")]

Models (formula, data, REML): sleep ``Reaction ~ Days + (Days | Subject)`` (sleepstudy; sleep_ml
the same by ML), sleep_int ``Reaction ~ Days + (1 | Subject)``, dyestuff ``Yield ~ 1 + (1 | Batch)``,
penicillin ``diameter ~ 1 + (1 | plate) + (1 | sample)``, machines ``score ~ Machine + (1 | Worker)
+ (1 | Worker:Machine)`` (nlme's Machines, tests/data/machines.csv), chick ``weight ~ Time + Diet +
(Time | Chick)`` (R's ChickWeight, unbalanced: chicks died; tests/data/chickweight.csv; chick_ml by
ML).  lme4 orders the terms by decreasing number of levels; the machines theta below is in the
formula's order (Worker, then Worker:Machine), as lmmtext keeps it.

Two kinds of comparison.  At lme4's theta (the fit's fixef, vcov and sigma^2 recomputed there
from ``fit.system``), lmmtext's exact derivatives reproduce lmerTest's numerical ones: largest
relative differences 5e-8 in the Satterthwaite df, 7e-7 in its p-values (tails of 1e-18), 1e-12
for Kenward-Roger.  At lmmtext's own optimum, whose theta differs from lme4's in the 6th-7th digit
(with an equal or lower criterion), the standard errors agree to 1e-7, the df to 3e-7 and the
p-values to 1.2e-5 (a p-value of 1e-17 moves with the 7th digit of t).  Satterthwaite's df at a
point that is not exactly the optimum carries a first-order term, which lmerTest keeps: with lme4's
default optimiser sleepstudy gets 16.99973 instead of the exact 17.
"""
import types
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.stats

import lmmtext
from lmmtext import datasets
from lmmtext.ddf import DDF_METHODS, coef_table, f_test

DATA = Path(__file__).parent / "data"

REFERENCE = {
    'sleep': {
        "theta": [0.966732791471446, 0.0151690598803683, 0.230909598085307],
        # Estimate, Std. Error, df, t value, Pr(>|t|)
        "Satterthwaite": [
            [251.405104848486, 6.82455577627583, 17.0000051947099, 36.8383105201432, 1.17087483659593e-17],
            [10.467285959596, 1.54578893242985, 16.9999990263063, 6.77148460569085, 3.26379001973881e-06],
        ],
        "Kenward-Roger": [
            [251.405104848486, 6.82455577627581, 16.9999999999996, 36.8383105201433, 1.17088536234604e-17],
            [10.467285959596, 1.54578893242985, 16.9999999999999, 6.77148460569086, 3.26378903544079e-06],
        ],
        # L, then {ddf: [F value, NumDF, DenDF, Pr(>F)]}
        "F": [
            ([[0, 1]], {
                "Satterthwaite": [45.8530037651082, 1, 16.9999990263063, 3.26379001973881e-06],
                "Kenward-Roger": [45.8530037651083, 1, 16.9999999999999, 3.26378903544079e-06],
            }),
            ([[1, 0], [0, 1]], {
                "Satterthwaite": [749.959724795337, 2, 17.0000020671995, 2.6341035356979e-17],
                "Kenward-Roger": [705.844446866202, 2, 15.9999999999997, 2.48823395736043e-16],
            }),
        ],
    },
    'sleep_ml': {
        "theta": [0.929225387595172, 0.0181656841314699, 0.222645424073262],
        # Estimate, Std. Error, df, t value, Pr(>|t|)
        "Satterthwaite": [
            [251.405104848484, 6.63227642115722, 18.0000033727406, 37.9063068068894, 1.26674853547892e-18],
            [10.4672859595955, 1.50223679257189, 17.9999993920731, 6.9678002904423, 1.65241516546987e-06],
        ],
        # L, then {ddf: [F value, NumDF, DenDF, Pr(>F)]}
        "F": [
            ([[1, 0], [0, 1]], {
                "Satterthwaite": [794.07496796961, 2, 18.00000185368, 2.78853675773361e-18],
            }),
        ],
    },
    'sleep_int': {
        "theta": [1.1978815447861],
        # Estimate, Std. Error, df, t value, Pr(>|t|)
        "Satterthwaite": [
            [251.405104848483, 9.74671633893592, 22.8101983053065, 25.7938259518415, 2.2413531208298e-18],
            [10.467285959596, 0.804221428228504, 161.000000199454, 13.0154278314279, 6.4126006593064e-27],
        ],
        "Kenward-Roger": [
            [251.405104848483, 9.74671633893593, 22.8101989770889, 25.7938259518415, 2.24135125273908e-18],
            [10.467285959596, 0.804221428228504, 161, 13.0154278314279, 6.41260079319144e-27],
        ],
        # L, then {ddf: [F value, NumDF, DenDF, Pr(>F)]}
        "F": [
            ([[1, 0], [0, 1]], {
                "Satterthwaite": [628.690295396992, 2, 39.2655359593034, 1.51899692829215e-30],
                "Kenward-Roger": [618.495026005293, 2, 40.304097930176, 5.66172813043357e-31],
            }),
        ],
    },
    'dyestuff': {
        "theta": [0.848323783218823],
        # Estimate, Std. Error, df, t value, Pr(>|t|)
        "Satterthwaite": [
            [1527.5, 19.3834121787528, 4.99999998109234, 78.8044945809065, 6.23447599535079e-09],
        ],
        "Kenward-Roger": [
            [1527.5, 19.3834121787528, 5, 78.8044945809065, 6.23447562365746e-09],
        ],
        # L, then {ddf: [F value, NumDF, DenDF, Pr(>F)]}
        "F": [
        ],
    },
    'penicillin': {
        "theta": [1.53967752493588, 3.5124150670082],
        # Estimate, Std. Error, df, t value, Pr(>|t|)
        "Satterthwaite": [
            [22.9722222222251, 0.808573360598727, 5.48709295857644, 28.4108076541315, 3.61920349445868e-07],
        ],
        "Kenward-Roger": [
            [22.9722222222251, 0.808573360598543, 5.487092291855, 28.4108076541379, 3.61920852486868e-07],
        ],
        # L, then {ddf: [F value, NumDF, DenDF, Pr(>F)]}
        "F": [
        ],
    },
    'machines': {
        "theta": [4.9720956803209, 3.87856586705104],
        # Estimate, Std. Error, df, t value, Pr(>|t|)
        "Satterthwaite": [
            [52.3555555555575, 2.48583033913691, 8.52169604144763, 21.0615964940453, 1.19821548446427e-08],
            [7.96666666666677, 2.17697541703577, 10.0000008369027, 3.65951154263119, 0.00439263134607868],
            [13.9166666666671, 2.17697541703577, 10.0000008371122, 6.39266137677216, 7.90647832691038e-05],
        ],
        "Kenward-Roger": [
            [52.3555555555575, 2.48583033913675, 8.52169779677504, 21.0615964940467, 1.19821222594809e-08],
            [7.96666666666677, 2.17697541703576, 9.9999999999992, 3.65951154263122, 0.0043926319546819],
            [13.9166666666671, 2.17697541703575, 9.99999999999917, 6.39266137677222, 7.90648130256751e-05],
        ],
        # L, then {ddf: [F value, NumDF, DenDF, Pr(>F)]}
        "F": [
            ([[0, 1, 0], [0, 0, 1]], {
                "Satterthwaite": [20.5760840748633, 2, 10.0000008516144, 0.000285548323122688],
                "Kenward-Roger": [20.5760840748637, 2, 9.99999999999948, 0.000285548423763382],
            }),
        ],
    },
    'chick': {
        "theta": [0.970239495612701, -0.2883991986019, 0.0574482520517476],
        # Estimate, Std. Error, df, t value, Pr(>|t|)
        "Satterthwaite": [
            [26.3561568138695, 2.29071443695636, 62.5948725245417, 11.5056492370514, 4.36002175793352e-17],
            [8.4437784747666, 0.540308305716493, 48.6613454216576, 15.6277043780948, 1.34199002552201e-20],
            [2.8386200483912, 2.36269479928865, 45.6626241862327, 1.20143323176817, 0.235777733311083],
            [2.00443223583874, 2.36269479928865, 45.6626241837903, 0.84836697335696, 0.400659081887614],
            [9.25478514262859, 2.36572430602491, 45.8858911866095, 3.91203028986047, 0.000300481762115033],
        ],
        "Kenward-Roger": [
            [26.3561568138695, 2.30177347214599, 66.6567554272125, 11.4503695228085, 2.15337652788115e-17],
            [8.4437784747666, 0.540384246462253, 48.7936120564909, 15.625508200962, 1.2652614852797e-20],
            [2.8386200483912, 2.41472334755652, 45.2484380759469, 1.17554669410209, 0.24592460372548],
            [2.00443223583874, 2.41472334755652, 45.2484380759456, 0.83008773566837, 0.410847472864548],
            [9.25478514262859, 2.41766987191209, 45.4719871069886, 3.82797719827197, 0.000392762931352611],
        ],
        # L, then {ddf: [F value, NumDF, DenDF, Pr(>F)]}
        "F": [
            ([[0, 0, 1, 0, 0], [0, 0, 0, 1, 0], [0, 0, 0, 0, 1]], {
                "Satterthwaite": [5.19380205930695, 3, 45.5315308040994, 0.0035980696594336],
                "Kenward-Roger": [4.97310186954483, 3, 45.1199497582478, 0.00457700253699742],
            }),
            ([[0, 0, 1, -1, 0], [1, 0, 0, 0, 0]], {
                "Satterthwaite": [66.2374661789604, 2, 52.3894795834546, 4.52395974615637e-15],
                "Kenward-Roger": [65.2482474712425, 2, 62.1850246971364, 5.35525757200097e-16],
            }),
        ],
    },
    'chick_ml': {
        "theta": [0.950619430405664, -0.288183120471679, 0.0408157244161268],
        # Estimate, Std. Error, df, t value, Pr(>|t|)
        "Satterthwaite": [
            [26.3563431902575, 2.2433888330382, 64.2283103787621, 11.7484507376117, 1.1967319888079e-17],
            [8.44389722839496, 0.534866505085466, 49.6539800301726, 15.7869246776739, 5.44292273661211e-21],
            [2.83823240318286, 2.2654721276169, 49.6314569506509, 1.25282159448523, 0.216141385085577],
            [2.00748004429599, 2.2654721276169, 49.6314569510824, 0.88611994816626, 0.379826394036451],
            [9.25469223534908, 2.26861731065094, 49.893416666135, 4.07944177799366, 0.000162483731672247],
        ],
        # L, then {ddf: [F value, NumDF, DenDF, Pr(>F)]}
        "F": [
            ([[0, 0, 1, 0, 0], [0, 0, 0, 1, 0], [0, 0, 0, 0, 1]], {
                "Satterthwaite": [5.64773404312986, 3, 49.4935018013283, 0.00207843245345526],
            }),
        ],
    },
}

MODELS = {
    "sleep": ("Reaction ~ Days + (Days | Subject)", "sleepstudy", "REML"),
    "sleep_ml": ("Reaction ~ Days + (Days | Subject)", "sleepstudy", "ML"),
    "sleep_int": ("Reaction ~ Days + (1 | Subject)", "sleepstudy", "REML"),
    "dyestuff": ("Yield ~ 1 + (1 | Batch)", "dyestuff", "REML"),
    "penicillin": ("diameter ~ 1 + (1 | plate) + (1 | sample)", "penicillin", "REML"),
    "machines": ("score ~ Machine + (1 | Worker) + (1 | Worker:Machine)", "machines", "REML"),
    "chick": ("weight ~ Time + Diet + (Time | Chick)", "chickweight", "REML"),
    "chick_ml": ("weight ~ Time + Diet + (Time | Chick)", "chickweight", "ML"),
}
REML_MODELS = [name for name, (_, _, method) in MODELS.items() if method == "REML"]
F_CASES = [(name, k, ddf) for name in MODELS for k, (_, ref) in enumerate(REFERENCE[name]["F"])
           for ddf in ref]


def _data(name: str) -> pd.DataFrame:
    if name == "machines":
        return pd.read_csv(DATA / "machines.csv", dtype={"Worker": str})
    if name == "chickweight":
        return pd.read_csv(DATA / "chickweight.csv", dtype={"Chick": str, "Diet": str})
    return getattr(datasets, f"load_{name}")()


@pytest.fixture(scope="module")
def fits() -> dict:
    """Each reference model fitted by lmmtext (once per module)."""
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, (formula, data, method) in MODELS.items():
            out[name] = lmmtext.lmm(formula, _data(data), method)
    return out


def _at_theta(fit, theta: np.ndarray):
    """The fit's documented attributes recomputed at another ``theta`` (lme4's optimum)."""
    reml = fit.method == "REML"
    sol = fit.system.solve(theta, reml)
    names = fit.fixef.index
    return types.SimpleNamespace(
        fixef=pd.Series(sol.beta, index=names), theta=theta, sigma2=sol.sigma2, method=fit.method,
        vcov=pd.DataFrame(sol.sigma2 * sol.beta_cov_unscaled, index=names, columns=names),
        system=fit.system,
    )


@pytest.fixture(scope="module")
def at_lme4(fits) -> dict:
    return {name: _at_theta(fit, np.array(REFERENCE[name]["theta"])) for name, fit in fits.items()}


T_CASES = [(name, ddf) for name in MODELS for ddf in DDF_METHODS if ddf in REFERENCE[name]]


@pytest.mark.parametrize(("name", "ddf"), T_CASES)
def test_coef_table_matches_lmertest_summary_at_lme4_estimates(at_lme4, name, ddf):
    table = coef_table(at_lme4[name], ddf)
    assert list(table.columns) == ["Estimate", "Std. Error", "df", "t value", "Pr(>|t|)"]
    np.testing.assert_allclose(table.to_numpy(), np.array(REFERENCE[name][ddf]), rtol=1e-6)


@pytest.mark.parametrize(("name", "k", "ddf"), F_CASES)
def test_f_test_matches_lmertest_contest_at_lme4_estimates(at_lme4, name, k, ddf):
    L, ref = REFERENCE[name]["F"][k]
    result = f_test(at_lme4[name], np.array(L, dtype=float), ddf)
    assert list(result.index) == ["F value", "NumDF", "DenDF", "Pr(>F)"]
    np.testing.assert_allclose(result.to_numpy(), ref[ddf], rtol=1e-6)


@pytest.mark.parametrize(("name", "ddf"), T_CASES)
def test_coef_table_of_own_fit_matches_lmertest(fits, name, ddf):
    table = coef_table(fits[name], ddf)
    ref = np.array(REFERENCE[name][ddf])
    assert list(table.index) == list(fits[name].fixef.index)
    np.testing.assert_allclose(table[["Estimate", "Std. Error", "df", "t value"]], ref[:, :4], rtol=1e-5)
    np.testing.assert_allclose(table["Pr(>|t|)"], ref[:, 4], rtol=5e-5)


@pytest.mark.parametrize(("name", "k", "ddf"), F_CASES)
def test_f_test_of_own_fit_matches_lmertest(fits, name, k, ddf):
    L, ref = REFERENCE[name]["F"][k]
    result = f_test(fits[name], L, ddf)
    np.testing.assert_allclose(result.iloc[:3], ref[ddf][:3], rtol=1e-5)
    np.testing.assert_allclose(result.iloc[3], ref[ddf][3], rtol=5e-5)


@pytest.mark.parametrize("ddf", DDF_METHODS)
def test_balanced_random_slopes_give_the_subject_t_with_17_df(fits, ddf):
    # 18 subjects, same design each: every contrast's t has n_subjects - 1 df.
    np.testing.assert_allclose(coef_table(fits["sleep"], ddf)["df"], 17.0, rtol=1e-5)


def test_balanced_one_way_intercept_has_groups_minus_one_df():
    # y_ij = mu + a_i + e_ij, a groups of m: ybar.. has variance (sigma_a^2 + sigma^2/m)/a,
    # estimated by the between-group mean square with a - 1 df (both methods, exactly).
    rng = np.random.default_rng(10)
    for _ in range(6):
        a, m = rng.integers(3, 10), rng.integers(2, 6)
        g = np.repeat(np.arange(a), m)
        y = 5.0 + rng.normal(0.0, 2.0, a)[g] + rng.normal(0.0, 1.0, a * m)
        fit = lmmtext.lmm("y ~ 1 + (1 | g)", pd.DataFrame({"y": y, "g": g.astype(str)}))
        assert not fit.singular  # the formula needs an interior between-group variance
        for ddf in DDF_METHODS:
            np.testing.assert_allclose(coef_table(fit, ddf)["df"], a - 1, rtol=1e-5)


def test_singular_fit_matches_lmertest():
    # R: fit <- lmer(Yield ~ 1 + (1 | Batch), Dyestuff2, control = ctrl2)   # theta = 0
    #    summary(fit)$coefficients: SE 0.678388031232524, df 28.9999999994202, p 3.318292749197e-09
    #    summary(fit, ddf = "Kenward-Roger")$coefficients: df 5, p 0.000402683257905119
    # At theta = 0, vcov(beta) does not change with theta to first order: only sigma's
    # uncertainty enters Satterthwaite's df (n - 1, as in least squares); Kenward-Roger's linear
    # parameter sigma_b^2 still counts, and gives the a - 1 of the batches.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = lmmtext.lmm("Yield ~ 1 + (1 | Batch)", datasets.load_dyestuff2())
    satterthwaite, kenward_roger = coef_table(fit), coef_table(fit, "Kenward-Roger")
    np.testing.assert_allclose(satterthwaite.iloc[0, 1:], [0.678388031232524, 28.9999999994202,
                                                          8.35156243795531, 3.318292749197e-09], rtol=1e-6)
    np.testing.assert_allclose(kenward_roger.iloc[0, 1:], [0.678388031232524, 5, 8.35156243795531,
                                                          0.000402683257905119], rtol=1e-6)


def test_wald_table_uses_the_normal_distribution(fits):
    fit = fits["sleep"]
    table = coef_table(fit, ddf=None)
    assert list(table.columns) == ["Estimate", "Std. Error", "z value", "Pr(>|z|)"]
    se = np.sqrt(np.diag(fit.vcov.to_numpy()))
    np.testing.assert_allclose(table["z value"], fit.fixef.to_numpy() / se, rtol=1e-12)
    np.testing.assert_allclose(table["Pr(>|z|)"], 2 * scipy.stats.norm.sf(table["z value"].abs()), rtol=1e-12)


def test_one_contrast_satterthwaite_f_is_the_squared_t(fits):
    fit = fits["chick"]
    table = coef_table(fit)
    result = f_test(fit, [0, 0, 1, 0, 0])
    np.testing.assert_allclose(result["F value"], table.loc["Diet[2]", "t value"] ** 2, rtol=1e-12)
    np.testing.assert_allclose(result[["DenDF", "Pr(>F)"]],
                               table.loc["Diet[2]", ["df", "Pr(>|t|)"]], rtol=1e-10)


def test_kenward_roger_f_test_depends_only_on_the_row_space_of_L(fits):
    L = np.array([[0, 0, 1, 0, 0], [0, 0, 0, 1, 0], [0, 0, 0, 0, 1.0]])
    M = np.array([[1.0, 2.0, 0.0], [0.0, 1.0, -1.0], [3.0, 0.0, 1.0]])
    a = f_test(fits["chick"], L, "Kenward-Roger")
    b = f_test(fits["chick"], M @ L, "Kenward-Roger")
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), rtol=1e-9)


def test_one_dimensional_contrast_may_be_a_plain_list(fits):
    a = f_test(fits["sleep"], [0, 1])
    b = f_test(fits["sleep"], np.array([[0.0, 1.0]]))
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), rtol=0)


def test_unknown_ddf_is_rejected_naming_the_allowed_values(fits):
    with pytest.raises(ValueError, match="Satterthwaite.*Kenward-Roger"):
        coef_table(fits["sleep"], ddf="satterthwaite")
    with pytest.raises(ValueError, match="Satterthwaite.*Kenward-Roger"):
        f_test(fits["sleep"], [0, 1], ddf=None)


def test_kenward_roger_refuses_an_ml_fit(fits):
    with pytest.raises(ValueError, match="REML"):
        coef_table(fits["sleep_ml"], ddf="Kenward-Roger")
    with pytest.raises(ValueError, match="REML"):
        f_test(fits["sleep_ml"], [0, 1], ddf="Kenward-Roger")


@pytest.mark.parametrize("L", [[0, 1, 0], [[1.0], [0.0]], np.zeros((0, 2)), np.zeros((1, 1, 2))])
def test_contrast_matrix_of_wrong_shape_is_rejected(fits, L):
    with pytest.raises(ValueError, match="2 columns"):
        f_test(fits["sleep"], L)


def test_rank_deficient_contrast_matrix_is_rejected(fits):
    with pytest.raises(ValueError, match="rank 1"):
        f_test(fits["sleep"], [[0, 1], [0, 2]])


def test_non_finite_contrast_is_rejected(fits):
    with pytest.raises(ValueError, match="NaN"):
        f_test(fits["sleep"], [0, np.nan])


def test_non_numeric_contrast_is_a_type_error(fits):
    with pytest.raises(TypeError, match="numeric"):
        f_test(fits["sleep"], ["a", "b"])


def test_object_that_is_not_a_fit_is_a_type_error():
    with pytest.raises(TypeError, match="LmmResult"):
        coef_table(pd.DataFrame({"x": [1.0]}))
