"""The table the bare-insert ceiling view writes to (see bench/views.py)."""

import uuid

from django.db import models


class BenchRow(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    person = models.CharField(max_length=32)
    temperature = models.DecimalField(max_digits=3, decimal_places=1)
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.person} {self.temperature}"
