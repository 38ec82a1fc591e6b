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
