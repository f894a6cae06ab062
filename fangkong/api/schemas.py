"""Schemas shared by every API module."""

from ninja import Schema
from pydantic import ConfigDict


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
