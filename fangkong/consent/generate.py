"""Consent for `fangkong generate` and `fangkong demo`: every generated person has accepted notice v1.

One INSERT … SELECT over the roster (no rows through Python), into the empty table with its index
dropped for the duration (org.bulk.bulk_load): a million rows take seconds.
"""

from __future__ import annotations

import random
from collections.abc import Mapping

from django.db import connection

from fangkong.org.bulk import bulk_load
from fangkong.org.generate import HistoryContext, register_history
from fangkong.org.models import Person

from .models import Acceptance, Channel
from .notice import current_notice


@register_history
def consent_history(rng: random.Random, days: int, ctx: HistoryContext) -> Mapping[str, int]:
    notice = current_notice()
    table = Acceptance._meta.db_table
    qn = connection.ops.quote_name
    at = connection.ops.adapt_datetimefield_value(ctx.now)
    columns = ("person_id", "notice_id", "accepted_at", "channel", "consented", "withdrawal_channel")
    with bulk_load(table), connection.cursor() as cursor:
        # Names come from model metadata, values are parameters.
        cursor.execute(
            f"INSERT INTO {qn(table)} ({', '.join(qn(c) for c in columns)}) "  # noqa: S608
            f"SELECT {qn('id')}, %s, %s, %s, %s, '' FROM {qn(Person._meta.db_table)}",
            [notice.pk, at, Channel.GENERATED.value, True],
        )
        n = cursor.rowcount
    ctx.write(f"  consent: {n:,} acceptances of notice v{notice.version}")
    return {table: n}
