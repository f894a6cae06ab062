"""Model fields for encrypted personal identifiers and their look-up hashes (see privacy/crypto.py).

`EncryptedField`: Python code reads and assigns the plain value; the column holds only ciphertext.
A query by value cannot work on ciphertext (every encryption differs), so `exact` and `in` accept
only the empty value: look a value up through its `KeyedHashField` instead
(`Person.objects.filter(id_number_hash=keyed_hash(value))`).

`KeyedHashField(source=...)`: recomputed from the source field whenever the row is written (insert,
`save()`, `bulk_create`); a model whose saves name `update_fields` must add the hash field when it
names the source (org.models.Person.save does).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import FieldError
from django.db import models
from django.db.models.lookups import Exact, In

from .crypto import decrypt, encrypt, keyed_hash


class EncryptedField(models.TextField):
    description = "Text encrypted at rest (AES-GCM, key from the environment)"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return value
        return decrypt(value, self.name)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value, self.name)


class _EmptyOnly:
    """A lookup on an encrypted column that refuses a plain value (it would silently never match)."""

    def get_prep_lookup(self) -> Any:
        values = self.rhs if isinstance(self.rhs, list | tuple | set | frozenset) else [self.rhs]  # type: ignore[attr-defined]
        if any(v not in ("", None) for v in values):
            field = self.lhs.target.name  # type: ignore[attr-defined]
            raise FieldError(f"{field} is encrypted: query {field}_hash with privacy.crypto.keyed_hash()")
        return super().get_prep_lookup()  # type: ignore[misc]


@EncryptedField.register_lookup
class EncryptedExact(_EmptyOnly, Exact):
    pass


@EncryptedField.register_lookup
class EncryptedIn(_EmptyOnly, In):
    pass


class KeyedHashField(models.CharField):
    description = "HMAC-SHA256 of another field's plain value, for look-ups and uniqueness"

    def __init__(self, *args: Any, source: str, **kwargs: Any):
        self.source = source
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        for key, default in (("max_length", 64), ("blank", True), ("editable", False)):
            if kwargs.get(key) == default:
                kwargs.pop(key)
        return name, path, args, kwargs

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        if self.source in model_instance.get_deferred_fields():
            return getattr(model_instance, self.attname)
        value = keyed_hash(getattr(model_instance, self.source) or "")
        setattr(model_instance, self.attname, value)
        return value
