"""Inherited settings (DOMAIN.md §2).

A charging point's rate is its own unless inherited, else its location's own
unless inherited, else its organization's (a suborganization may inherit its
main organization's). Access mode is the charging point's own unless inherited,
else the location's. Inheritance is of the whole value, never field by field,
and the answer always says where the value comes from, so the API and UI can
show "rate: inherited from location Depot Noord"."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from domain.enums import AccessMode, Source
from domain.errors import Invalid

T = TypeVar("T")


class NoEffectiveValue(Invalid):
    """Every level says "inherited" and the top has nothing: the tree is misconfigured."""

    code = "tree.no_effective_value"


@dataclass(frozen=True)
class Level(Generic[T]):
    """One layer's own setting: `inherited=True` means "ask the layer above"."""

    source: Source
    id: int
    name: str
    inherited: bool
    value: T | None


@dataclass(frozen=True)
class Effective(Generic[T]):
    value: T
    source: Source
    source_id: int
    source_name: str
    inherited: bool  # True when the value comes from a layer above the asked one

    def describe(self, what: str) -> str:
        label = self.source.value.replace("_", " ")
        if not self.inherited:
            return f"{what}: own setting of {label} {self.source_name}"
        return f"{what}: inherited from {label} {self.source_name}"


def resolve(levels: list[Level[T]], what: str) -> Effective[T]:
    """The first level (most specific first) that does not inherit wins."""
    for index, level in enumerate(levels):
        if not level.inherited:
            if level.value is None:
                raise NoEffectiveValue(
                    f"{what} of {level.source.value} {level.name!r} is not inherited but not set"
                )
            return Effective(level.value, level.source, level.id, level.name, index > 0)
    names = " → ".join(f"{lv.source.value} {lv.name!r}" for lv in levels)
    raise NoEffectiveValue(f"{what} is inherited all the way up ({names}) and never set")


@dataclass(frozen=True)
class RateSettings(Generic[T]):
    """The rate-bearing layers above one charging point; `T` is whatever a rate is."""

    charging_point: Level[T]
    location: Level[T]
    organization: Level[T]
    parent_organization: Level[T] | None = None


def effective_rate(settings: RateSettings[T]) -> Effective[T]:
    levels = [settings.charging_point, settings.location, settings.organization]
    if settings.parent_organization is not None:
        levels.append(settings.parent_organization)
    elif settings.organization.inherited:
        raise NoEffectiveValue(
            f"organization {settings.organization.name!r} inherits its rate but has no parent"
        )
    return resolve(levels, "rate")


def effective_access_mode(
    charging_point: Level[AccessMode], location: Level[AccessMode]
) -> Effective[AccessMode]:
    if location.inherited:
        raise NoEffectiveValue(f"location {location.name!r} must set its own access mode")
    return resolve([charging_point, location], "access mode")
