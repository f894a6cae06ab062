"""The database is unreachable: 503 with Retry-After (JSON under /api/, a page elsewhere), never
500, and the next request after it is back is served (fangkong.security.outage)."""

import socket

import pytest
import requests
from django.db import InterfaceError, OperationalError, ProgrammingError, connection
from django.test import Client

from fangkong.org.actions import create_token

CHECKIN = {"id": "0b7a4f3e-5a55-4c1e-9d7e-000000000001", "person": "A0001", "temperature": "36.6"}


def _failing(exc_class, message):
    def wrapper(execute, sql, params, many, context):
        raise exc_class(message)

    return wrapper


def _api(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {create_token('test', user)}", raise_request_exception=False)


def _assert_api_503(response):
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "database" in response.json()["detail"]


def _assert_page_503(response):
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response["Content-Type"].startswith("text/html")
    assert b"<h1>" in response.content


@pytest.mark.parametrize(
    ("exc_class", "message"),
    [
        (OperationalError, "server closed the connection unexpectedly"),
        (OperationalError, "terminating connection due to administrator command"),
        (InterfaceError, "connection already closed"),
    ],
)
def test_a_checkin_during_an_outage_gets_503_and_is_stored_on_retry(w, exc_class, message):
    client = _api(w.group_admin)
    with connection.execute_wrapper(_failing(exc_class, message)):
        _assert_api_503(client.post("/api/v1/checkins", CHECKIN, content_type="application/json"))
    retried = client.post("/api/v1/checkins", CHECKIN, content_type="application/json")
    assert retried.status_code == 201, retried.content


def test_ninja_answers_503_itself_when_debug_is_on(w, settings):
    settings.DEBUG = True  # django-ninja turns a view's exception into a 500 traceback then
    client = _api(w.group_admin)
    with connection.execute_wrapper(_failing(OperationalError, "connection refused")):
        _assert_api_503(client.get("/api/v1/units"))


def test_a_page_whose_session_cannot_be_loaded_gets_the_outage_page(w):
    client = Client(raise_request_exception=False)
    client.force_login(w.group_admin)
    # The session is read by the middleware before any view runs.
    with connection.execute_wrapper(_failing(OperationalError, "the database system is shutting down")):
        page = client.get("/")
        english = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    _assert_page_503(page)
    assert "暂时无法访问" in page.content.decode()  # zh-Hans by default
    _assert_page_503(english)
    assert "Temporarily unavailable" in english.content.decode()
    assert client.get("/").status_code == 200


def test_a_bug_in_sql_is_still_a_500_not_an_outage(w):
    client = _api(w.group_admin)
    with connection.execute_wrapper(_failing(ProgrammingError, 'relation "x" does not exist')):
        assert client.get("/api/v1/units").status_code == 500


# --- a real outage, on PostgreSQL: the live server's connection is killed and the database moved ---


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # nothing listens there once the socket is closed


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="terminates PostgreSQL backends")
def test_live_server_answers_503_while_the_database_is_gone_and_serves_when_it_is_back(live_server):
    from tests.factories import world

    w = world()
    token = create_token("test", w.group_admin)
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {token}"
    page = Client()
    page.force_login(w.group_admin)
    cookies = {"sessionid": page.cookies["sessionid"].value}
    # A first request opens the live server's persistent connection.
    assert api.get(f"{live_server.url}/api/v1/units", timeout=30).status_code == 200

    settings_dict = connection.settings_dict
    port = settings_dict["PORT"]
    with connection.cursor() as cur:  # the administrator ends every other session of the database
        cur.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        assert cur.fetchone()[0] >= 1
    settings_dict["PORT"] = _closed_port()  # … and the database is not back yet: connection refused
    try:
        _assert_api_503_http(api.get(f"{live_server.url}/api/v1/units", timeout=30))
        _assert_api_503_http(api.post(f"{live_server.url}/api/v1/checkins", json=CHECKIN, timeout=30))
        outage_page = requests.get(f"{live_server.url}/", cookies=cookies, timeout=30)
        assert outage_page.status_code == 503
        assert outage_page.headers["Retry-After"] == "5"
        assert outage_page.headers["Content-Type"].startswith("text/html")
    finally:
        settings_dict["PORT"] = port

    assert api.get(f"{live_server.url}/api/v1/units", timeout=30).status_code == 200
    assert api.post(f"{live_server.url}/api/v1/checkins", json=CHECKIN, timeout=30).status_code == 201
    assert requests.get(f"{live_server.url}/", cookies=cookies, timeout=30).status_code == 200


def _assert_api_503_http(response):
    assert response.status_code == 503, response.text[:300]
    assert response.headers["Retry-After"] == "5"
    assert "database" in response.json()["detail"]
