"""The shipped data sets: shape, lme4 column names, grouping columns categorical, known values."""
import numpy as np
import pandas as pd
import pytest

from lmmtext import datasets

LME4_SETS = {
    "load_dyestuff": ((30, 2), ["Batch", "Yield"], ["Batch"]),
    "load_dyestuff2": ((30, 2), ["Batch", "Yield"], ["Batch"]),
    "load_sleepstudy": ((180, 3), ["Reaction", "Days", "Subject"], ["Subject"]),
    "load_penicillin": ((144, 3), ["diameter", "plate", "sample"], ["plate", "sample"]),
}


@pytest.mark.parametrize("loader", sorted(LME4_SETS))
def test_lme4_data_have_lme4_shape_and_columns(loader):
    shape, columns, _ = LME4_SETS[loader]
    frame = getattr(datasets, loader)()
    assert frame.shape == shape
    assert list(frame.columns) == columns


@pytest.mark.parametrize("loader", sorted(LME4_SETS))
def test_grouping_columns_are_categorical_and_the_rest_numeric(loader):
    _, columns, groups = LME4_SETS[loader]
    frame = getattr(datasets, loader)()
    for col in columns:
        if col in groups:
            assert isinstance(frame[col].dtype, pd.CategoricalDtype)
        else:
            assert pd.api.types.is_numeric_dtype(frame[col])
    assert not frame.isna().to_numpy().any()


def test_dyestuff_values_match_lme4():
    # lme4's Dyestuff: first yield 1545 (batch A), batch means of Table 6.3 average to 1527.5.
    d = datasets.load_dyestuff()
    assert d["Yield"].iloc[0] == 1545
    assert d["Yield"].mean() == pytest.approx(1527.5)
    assert (d.groupby("Batch", observed=True).size() == 5).all()


def test_dyestuff2_mean_matches_lme4():
    assert datasets.load_dyestuff2()["Yield"].mean() == pytest.approx(5.6656)


def test_sleepstudy_is_18_subjects_by_10_days():
    s = datasets.load_sleepstudy()
    assert s["Subject"].cat.categories[0] == "308"
    assert s["Reaction"].iloc[0] == pytest.approx(249.56)
    assert pd.crosstab(s["Subject"], s["Days"]).eq(1).all().all()


def test_penicillin_is_fully_crossed():
    p = datasets.load_penicillin()
    assert pd.crosstab(p["plate"], p["sample"]).eq(1).all().all()
    assert p["plate"].cat.categories.tolist()[:3] == ["a", "b", "c"]


def test_baseball_is_efron_morris_table_1():
    b = datasets.load_baseball()
    assert b.shape[0] == 18
    assert (b["at_bats"] == 45).all()
    clemente = b.set_index("name").loc["Clemente"]
    assert (clemente["hits"], clemente["rest_avg"]) == (18, 0.346)
    # Efron & Morris (1975), Table 1: the first-45 averages range from .400 to .156.
    np.testing.assert_allclose((b["hits"] / 45).agg(["max", "min"]), [0.4, 7 / 45])
    assert b["hits"].sum() == 215


def test_loaders_return_fresh_frames():
    first = datasets.load_dyestuff()
    first.loc[0, "Yield"] = -1.0
    assert datasets.load_dyestuff()["Yield"].iloc[0] == 1545


# -- mlmRev's Exam and ScotsSec -----------------------------------------------------------------
# R 4.2.2, mlmRev 1.0-8:  str(Exam); str(ScotsSec); levels(...) of each factor
MLMREV_FACTORS = {
    "load_exam": {
        "school": (65, ["1", "2", "3"], ["63", "64", "65"]),
        "schgend": (3, ["mixed", "boys", "girls"], None),
        "vr": (3, ["bottom 25%", "mid 50%", "top 25%"], None),
        "intake": (3, ["bottom 25%", "mid 50%", "top 25%"], None),
        "sex": (2, ["F", "M"], None),
        "type": (2, ["Mxd", "Sngl"], None),
        "student": (650, ["1", "2", "3"], ["903", "909", "913"]),
    },
    "load_scotssec": {
        "primary": (148, ["1", "2", "3"], ["146", "147", "148"]),
        "sex": (2, ["M", "F"], None),
        "second": (19, ["1", "2", "3"], ["17", "18", "19"]),
    },
}


@pytest.mark.parametrize("loader, shape, columns", [
    ("load_exam", (4059, 10), ["school", "normexam", "schgend", "schavg", "vr", "intake", "standLRT",
                               "sex", "type", "student"]),
    ("load_scotssec", (3435, 6), ["verbal", "attain", "primary", "sex", "social", "second"]),
])
def test_mlmrev_data_have_r_shape_columns_and_factor_levels(loader, shape, columns):
    frame = getattr(datasets, loader)()
    assert frame.shape == shape
    assert list(frame.columns) == columns
    assert not frame.isna().to_numpy().any()
    factors = MLMREV_FACTORS[loader]
    for col in columns:
        if col in factors:
            n_levels, first, last = factors[col]
            cats = frame[col].cat.categories.tolist()
            assert len(cats) == n_levels, col
            assert cats[:len(first)] == first, col
            if last is not None:
                assert cats[-len(last):] == last, col
        else:
            assert pd.api.types.is_float_dtype(frame[col]), col


def test_exam_values_match_r():
    # R: Exam$normexam[1]  0.2613242;  Exam$standLRT[4059]  -1.364576
    #    table(Exam$schgend): mixed 2169, boys 513, girls 1377
    #    nrow(unique(Exam[, c("school", "student")]))  4055 (four pairs occur twice in mlmRev's data)
    e = datasets.load_exam()
    assert e["normexam"].iloc[0] == pytest.approx(0.2613242)
    assert e["standLRT"].iloc[-1] == pytest.approx(-1.364576)
    assert e["schgend"].value_counts().loc[["mixed", "boys", "girls"]].tolist() == [2169, 513, 1377]
    assert (e.groupby("school", observed=True)["schavg"].nunique() == 1).all()
    # student labels repeat across schools: a pupil is a (school, student) pair.
    assert e[["school", "student"]].drop_duplicates().shape[0] == 4055


def test_scotssec_schools_are_crossed_not_nested():
    s = datasets.load_scotssec()
    assert s["attain"].iloc[0] == 10 and s["verbal"].iloc[0] == 11
    per_primary = s.groupby("primary", observed=True)["second"].nunique()
    assert per_primary.max() > 1  # a primary school feeds several secondary schools
    assert s.groupby("second", observed=True)["primary"].nunique().min() > 1
