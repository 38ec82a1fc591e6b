"""The Pastes data (load_pastes): lme4's layout, the nesting of casks in batches, and known values."""
import numpy as np
import pandas as pd

from lmmtext.datasets import load_pastes


def test_pastes_has_lme4_shape_and_columns():
    p = load_pastes()
    assert p.shape == (60, 4)
    assert list(p.columns) == ["strength", "batch", "cask", "sample"]


def test_pastes_grouping_columns_are_categorical_in_lme4_order():
    p = load_pastes()
    assert p["batch"].cat.categories.tolist() == list("ABCDEFGHIJ")
    assert p["cask"].cat.categories.tolist() == ["a", "b", "c"]
    assert isinstance(p["sample"].dtype, pd.CategoricalDtype)
    assert p["strength"].dtype == float


def test_pastes_design_is_balanced_10_batches_by_3_casks_by_2_assays():
    p = load_pastes()
    counts = p.groupby(["batch", "cask"], observed=True).size()
    assert counts.shape == (30,) and (counts == 2).all()


def test_pastes_sample_is_the_batch_cask_interaction():
    p = load_pastes()
    combined = p["batch"].astype(str) + ":" + p["cask"].astype(str)
    assert (combined == p["sample"].astype(str)).all()


def test_pastes_values_match_lme4():
    # lme4 1.1-31 on R 4.2.2: mean(Pastes$strength) = 60.05333, Pastes$strength[1:2] = 62.8, 62.6
    p = load_pastes()
    np.testing.assert_allclose(p["strength"].mean(), 60.0533333333, rtol=1e-10)
    np.testing.assert_allclose(p["strength"].iloc[:2], [62.8, 62.6])
