"""Schemas shared by every API module."""

from ninja import Schema


class ErrorOut(Schema):
    detail: str


class FieldError(Schema):
    field: str
    message: str


class ValidationErrorOut(Schema):
    detail: list[FieldError] | list[dict] | str
