"""Schemas shared by every API module."""

import datetime as dt
from typing import Annotated

from ninja import Schema
from pydantic import ConfigDict, Field

from fangkong.lib.dates import FIRST_DAY, LAST_DAY

# A day a caller names (a query or body field): within the range any real period lies in, so a
# period's end and deadline computed from it are dates (422 naming the field otherwise).
Day = Annotated[dt.date, Field(ge=FIRST_DAY, le=LAST_DAY)]


class ErrorOut(Schema):
    detail: str


class FieldError(Schema):
    field: str
    message: str


class ValidationErrorOut(Schema):
    detail: list[FieldError] | list[dict] | str


class Input(Schema):
    """Base of every request body: unknown fields are refused (422), never silently dropped."""

    model_config = ConfigDict(extra="forbid")


# The error answers an operation may give besides its success, by status code. 400: a body that is
# not JSON; 413: a body over the upload limit; 422: a parameter or body field refused (naming it);
# 429: too many person look-ups (fangkong.security.middleware).
_ANSWERS: dict[int, type[Schema]] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    413: ValidationErrorOut,
    422: ValidationErrorOut,
    429: ErrorOut,
}
# What every operation with a JSON body may answer for the body alone.
BODY = (400, 413, 422)


def answers(*codes: int) -> dict[int, type[Schema]]:
    """`response=` entries for these error codes, and 401 (no or a bad credential) which every
    operation may answer: `response={200: ThingOut, **answers(404, 422)}`. schemathesis' conformance
    check (tests/security/test_schemathesis.py) fails on an answer not declared."""
    return {401: ErrorOut, **{code: _ANSWERS[code] for code in codes}}
