"""Chinese resident ID numbers (GB 11643-1999) and mobile numbers: validation and masking."""

import re
from datetime import date

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_RE = re.compile(r"^\d{17}[\dX]$")
_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
_FULLWIDTH = re.compile(r"[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]")


class InvalidValue(ValueError):
    """A value that fails validation; the message says why, without echoing the value."""


def id_check_digit(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def normalize_id_number(value: str) -> str:
    """Return the canonical 18-character ID number or raise InvalidValue."""
    value = (value or "").strip()
    if _FULLWIDTH.search(value):
        raise InvalidValue("contains full-width characters")
    value = value.upper()
    if not _ID_RE.match(value):
        raise InvalidValue("must be 17 digits followed by a digit or X")
    try:
        date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise InvalidValue("birth date part is not a valid date") from None
    if id_check_digit(value[:17]) != value[17]:
        raise InvalidValue("check digit does not match (GB 11643)")
    return value


def normalize_mobile(value: str) -> str:
    """Return the 11-digit mainland mobile number or raise InvalidValue."""
    value = (value or "").strip().replace(" ", "").replace("-", "")
    if _FULLWIDTH.search(value):
        raise InvalidValue("contains full-width characters")
    if value.startswith("+86"):
        value = value[3:]
    if not _MOBILE_RE.match(value):
        raise InvalidValue("must be an 11-digit mainland mobile number starting with 1")
    return value


def mask_id_number(value: str | None) -> str:
    """110105199001010021 -> 110***********002X style: first 3 and last 4 kept."""
    if not value:
        return ""
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_mobile(value: str | None) -> str:
    """13800000000 -> 138****0000."""
    if not value:
        return ""
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def has_fullwidth(value: str) -> bool:
    return bool(_FULLWIDTH.search(value or ""))
