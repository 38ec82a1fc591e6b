"""lmmtext.studies: loading the shipped simulation studies (Chapter 10)."""
from __future__ import annotations

import pandas as pd
import pytest

from lmmtext.studies import available_studies, load_study


@pytest.mark.parametrize("bad", ["", "../data/sleepstudy", "Fixed", "a b", 3])
def test_bad_names_are_refused(bad):
    with pytest.raises(ValueError, match="not a study name"):
        load_study(bad)


def test_unknown_study_is_refused_with_the_list():
    with pytest.raises(ValueError, match="shipped studies"):
        load_study("no_such_study")


@pytest.mark.parametrize("name", available_studies())
def test_every_shipped_study_loads_as_a_fresh_table(name):
    first, second = load_study(name), load_study(name)
    assert len(first) > 0 and first is not second
    pd.testing.assert_frame_equal(first, second)
    del first[first.columns[0]]
    pd.testing.assert_frame_equal(load_study(name), second)
