"""Field types shared by every schema: bounded ids, names and money numbers, so
nothing the API accepts can overflow a column of either database."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

MAX_ID = 2_147_483_647

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True,
                                        pattern=r"^[^\x00]*$")]
Text = Annotated[str, StringConstraints(max_length=300, pattern=r"^[^\x00]*$")]
Short = Annotated[str, StringConstraints(max_length=40, pattern=r"^[^\x00]*$")]
Email = Annotated[str, StringConstraints(min_length=3, max_length=200,
                                         pattern=r"^[^@\s\x00]+@[^@\s\x00]+$")]
Iban = Annotated[str, StringConstraints(min_length=5, max_length=34, pattern=r"^[A-Z0-9 ]+$")]
VatId = Annotated[str, StringConstraints(min_length=2, max_length=32, pattern=r"^[A-Z0-9]+$")]
Country = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
Color = Annotated[str, StringConstraints(pattern=r"^#[0-9a-fA-F]{6}$")]
Money = Annotated[Decimal, Field(ge=0, le=Decimal("1000000"), max_digits=14, decimal_places=6)]
Percent = Annotated[Decimal, Field(ge=0, le=100, max_digits=9, decimal_places=4)]


class Out(BaseModel):
    """Answers are read from ORM rows."""

    model_config = ConfigDict(from_attributes=True)


class In(BaseModel):
    """Requests refuse fields they do not know (a typo is an error, not ignored)."""

    model_config = ConfigDict(extra="forbid")


def _examples(*examples: dict) -> ConfigDict:
    """A request model's config: unknown fields refused, `examples` in its schema."""
    return ConfigDict(extra="forbid", json_schema_extra={"examples": list(examples)})


def path_id():
    from fastapi import Path

    return Path(ge=1, le=MAX_ID)


PathId = Annotated[int, path_id()]
