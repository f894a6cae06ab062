"""Ceiling views for `fangkong bench`, mounted only when FANGKONG_BENCH_VIEWS=1 (never in production).

`noop` answers 204 and does nothing: the ceiling of the HTTP stack and Django on this machine.
`insert` inserts one row with raw SQL in its own transaction: the ceiling of one write per request.
"""

import json
import uuid

from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .models import BenchRow


@csrf_exempt
def noop(request: HttpRequest) -> HttpResponse:
    return HttpResponse(status=204)


@csrf_exempt
@require_POST
def insert(request: HttpRequest) -> HttpResponse:
    body = json.loads(request.body or b"{}")
    table = connection.ops.quote_name(BenchRow._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (id, person, temperature, at) VALUES (%s, %s, %s, %s)",  # noqa: S608
            [
                BenchRow._meta.get_field("id").get_db_prep_value(
                    uuid.UUID(body.get("id") or str(uuid.uuid4())), connection
                ),
                str(body.get("person", ""))[:32],
                str(body.get("temperature", "36.6")),
                connection.ops.adapt_datetimefield_value(timezone.now()),
            ],
        )
    return HttpResponse(status=201)


urlpatterns = [
    path("noop", noop, name="bench_noop"),
    path("insert", insert, name="bench_insert"),
]
