"""Append-only, hash-chained audit log.

Rows are spread over `settings.AUDIT_CHAINS` independent chains so that writers touching different
parts of the group do not queue behind one lock. Within a chain, `seq` is contiguous from 1 and each
row's `hash` covers its content and the previous row's hash; `ChainHead` holds the last seq and hash,
so dropping the newest rows is detected too. Database triggers refuse UPDATE and DELETE.
"""

from django.db import models


class ChainHead(models.Model):
    chain = models.PositiveSmallIntegerField(primary_key=True)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"chain {self.chain} at {self.seq}"


class AuditEntry(models.Model):
    chain = models.PositiveSmallIntegerField()
    seq = models.BigIntegerField()
    at = models.DateTimeField()
    actor = models.CharField(max_length=150)
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    unit_code = models.CharField(max_length=32, blank=True)
    detail = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["at", "chain", "seq"]
        constraints = [models.UniqueConstraint(fields=["chain", "seq"], name="audit_chain_seq_unique")]
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
            models.Index(fields=["unit_code", "at"], name="audit_unit_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.chain}:{self.seq} {self.action} {self.object_type}:{self.object_id}"
