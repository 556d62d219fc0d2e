"""DOMAIN.md §2: the inheritance matrix for rates and access modes."""

import itertools

import pytest

from domain.enums import AccessMode, Source
from domain.inheritance import (
    Level,
    NoEffectiveValue,
    RateSettings,
    effective_access_mode,
    effective_rate,
)


def _rates(cp_inherits, loc_inherits, org_inherits=False, with_parent=False):
    return RateSettings(
        charging_point=Level(Source.CHARGING_POINT, 3, "ACME-DEPOT-02", cp_inherits, "cp-rate"),
        location=Level(Source.LOCATION, 2, "Depot Noord", loc_inherits, "loc-rate"),
        organization=Level(Source.ORGANIZATION, 1, "Jan", org_inherits, "org-rate"),
        parent_organization=(
            Level(Source.PARENT_ORGANIZATION, 9, "Acme", False, "parent-rate")
            if with_parent
            else None
        ),
    )


# (cp inherits, location inherits, org inherits) -> expected rate and source
RATE_MATRIX = {
    (False, False, False): ("cp-rate", Source.CHARGING_POINT),
    (False, True, False): ("cp-rate", Source.CHARGING_POINT),
    (False, False, True): ("cp-rate", Source.CHARGING_POINT),
    (False, True, True): ("cp-rate", Source.CHARGING_POINT),
    (True, False, False): ("loc-rate", Source.LOCATION),
    (True, False, True): ("loc-rate", Source.LOCATION),
    (True, True, False): ("org-rate", Source.ORGANIZATION),
    (True, True, True): ("parent-rate", Source.PARENT_ORGANIZATION),
}


@pytest.mark.parametrize(("flags", "expected"), sorted(RATE_MATRIX.items()))
def test_rate_comes_from_the_first_layer_that_does_not_inherit(flags, expected):
    cp, loc, org = flags
    got = effective_rate(_rates(cp, loc, org, with_parent=True))
    assert (got.value, got.source) == expected
    assert got.inherited == (expected[1] != Source.CHARGING_POINT)


def test_matrix_covers_every_combination():
    assert set(RATE_MATRIX) == set(itertools.product([False, True], repeat=3))


def test_effective_rate_says_where_it_comes_from():
    got = effective_rate(_rates(True, False))
    assert got.describe("rate") == "rate: inherited from location Depot Noord"
    assert effective_rate(_rates(False, True)).describe("rate") == (
        "rate: own setting of charging point ACME-DEPOT-02"
    )


def test_suborganization_inheriting_without_parent_is_refused():
    with pytest.raises(NoEffectiveValue, match="no parent"):
        effective_rate(_rates(True, True, org_inherits=True, with_parent=False))


def test_own_setting_without_value_is_refused():
    settings = RateSettings(
        charging_point=Level(Source.CHARGING_POINT, 3, "CP", False, None),
        location=Level(Source.LOCATION, 2, "L", False, "loc-rate"),
        organization=Level(Source.ORGANIZATION, 1, "O", False, "org-rate"),
    )
    with pytest.raises(NoEffectiveValue, match="not set"):
        effective_rate(settings)


@pytest.mark.parametrize("cp_inherits", [True, False])
@pytest.mark.parametrize("location_mode", list(AccessMode))
@pytest.mark.parametrize("cp_mode", list(AccessMode))
def test_access_mode_matrix(cp_inherits, location_mode, cp_mode):
    got = effective_access_mode(
        Level(Source.CHARGING_POINT, 3, "CP", cp_inherits, None if cp_inherits else cp_mode),
        Level(Source.LOCATION, 2, "Depot Noord", False, location_mode),
    )
    if cp_inherits:
        assert (got.value, got.source, got.inherited) == (location_mode, Source.LOCATION, True)
    else:
        assert (got.value, got.source, got.inherited) == (cp_mode, Source.CHARGING_POINT, False)
