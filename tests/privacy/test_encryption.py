"""ID numbers and mobiles are encrypted at rest; look-ups and uniqueness go through keyed hashes."""

import importlib
import io
from types import SimpleNamespace

import pytest
from django.core.exceptions import FieldError
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.test import override_settings

from fangkong.org import actions
from fangkong.org.models import Person
from fangkong.privacy import crypto
from fangkong.privacy.crypto import keyed_hash
from fangkong.security.checks import production_settings
from tests.factories import id_number, person

pytestmark = pytest.mark.django_db


def _raw(p: Person) -> tuple[str, str, str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id_number, mobile, id_number_hash, mobile_hash FROM org_person WHERE id = %s", [p.pk]
        )
        return cursor.fetchone()


def test_the_database_never_holds_a_plain_id_number_or_mobile(w):
    for p in (w.alice, w.bob, w.carol):
        raw = _raw(p)
        assert p.id_number and p.mobile
        for column in raw:
            assert p.id_number not in column and p.mobile not in column
            assert p.id_number[-6:] not in column and p.mobile[-4:] not in column[:12]
        assert raw[0].startswith(crypto.keyring().current + "$")
    # The same value encrypts differently every time (random nonce), yet reads back the same.
    assert _raw(w.alice)[0] != crypto.encrypt(w.alice.id_number, "id_number")
    assert Person.objects.get(pk=w.alice.pk).id_number == w.alice.id_number
    assert Person.objects.filter(pk=w.bob.pk).values_list("mobile", flat=True)[0] == w.bob.mobile


def test_a_person_is_found_by_id_number_or_mobile_through_the_hash(w):
    assert Person.objects.get(id_number_hash=keyed_hash(w.alice.id_number)) == w.alice
    assert Person.objects.get(mobile_hash=keyed_hash(w.bob.mobile)) == w.bob
    assert not Person.objects.filter(id_number_hash=keyed_hash(id_number(999))).exists()
    # Querying the encrypted column by value would silently match nothing: it is refused.
    with pytest.raises(FieldError, match="id_number_hash"):
        list(Person.objects.filter(id_number=w.alice.id_number))
    assert Person.objects.filter(id_number="").count() == 0  # "no value" still works


def test_a_changed_id_number_is_found_under_its_new_hash(w):
    new = id_number(777, birth="19851212")
    actions.update_person("test", w.alice, id_number=new, mobile="13912345678")
    assert Person.objects.get(id_number_hash=keyed_hash(new)) == w.alice
    assert Person.objects.get(mobile_hash=keyed_hash("13912345678")) == w.alice
    assert not Person.objects.filter(id_number_hash=keyed_hash(w.bob.id_number)).exclude(pk=w.bob.pk).exists()
    assert _raw(w.alice)[2] == keyed_hash(new)


def test_two_people_cannot_share_an_id_number(w):
    with pytest.raises(IntegrityError), transaction.atomic():
        actions.add_person(
            "test",
            employee_no="X1",
            name="重复",
            unit=w.grid1,
            joined_on=w.alice.joined_on,
            id_number=w.alice.id_number,
        )
    # Without ID numbers, any number of people fit.
    person(w.grid1, with_ids=False)
    person(w.grid1, with_ids=False)


def test_the_masked_properties_still_read_the_plain_value(w):
    alice = Person.objects.get(pk=w.alice.pk)
    assert alice.id_number_masked == alice.id_number[:3] + "*" * 11 + alice.id_number[-4:]
    assert alice.mobile_masked == alice.mobile[:3] + "****" + alice.mobile[-4:]


def test_a_value_under_an_unknown_key_or_tampered_does_not_decrypt(w, settings):
    stored = _raw(w.alice)[0]
    tampered = stored[:-4] + ("AAAA" if not stored.endswith("AAAA") else "BBBB")
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(tampered, "id_number")
    with pytest.raises(crypto.DecryptionError):  # a ciphertext moved to another column
        crypto.decrypt(stored, "mobile")
    settings.FIELD_KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
    with pytest.raises(crypto.DecryptionError, match="not configured"):
        crypto.decrypt(stored, "id_number")


def test_after_a_key_change_old_values_read_and_the_rekey_restores_look_ups(w, settings):
    old_key = settings.FIELD_KEY
    settings.FIELD_KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
    settings.FIELD_OLD_KEYS = [old_key]
    assert Person.objects.get(pk=w.alice.pk).id_number == w.alice.id_number
    call_command("privacy_rekey", stdout=io.StringIO())
    raw = _raw(w.alice)
    assert raw[0].startswith(crypto.keyring().current + "$") and raw[2] == keyed_hash(w.alice.id_number)
    assert Person.objects.get(mobile_hash=keyed_hash(w.carol.mobile)) == w.carol
    settings.FIELD_OLD_KEYS = []  # the old key can go now
    assert [p.id_number for p in Person.objects.order_by("pk")] == [
        w.alice.id_number,
        w.bob.id_number,
        w.carol.id_number,
    ]


def test_existing_plain_rows_are_encrypted_by_the_migration(w):
    """Rows written before encryption (plain columns, no hashes) are converted in place."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE org_person SET id_number = %s, mobile = %s, id_number_hash = '', mobile_hash = '' "
            "WHERE id = %s",
            [w.alice.id_number, w.alice.mobile, w.alice.pk],
        )
    assert _raw(w.alice)[0] == w.alice.id_number
    migration = importlib.import_module("fangkong.org.migrations.0003_encrypt_identifiers")
    migration.encrypt_existing(None, SimpleNamespace(connection=connection))
    raw = _raw(w.alice)
    assert w.alice.id_number not in raw[0] and w.alice.mobile not in raw[1]
    assert raw[2:] == (keyed_hash(w.alice.id_number), keyed_hash(w.alice.mobile))
    assert Person.objects.get(id_number_hash=keyed_hash(w.alice.id_number)).mobile == w.alice.mobile
    # Rows already encrypted are left readable (re-encrypted, same plain value).
    assert Person.objects.get(pk=w.bob.pk).id_number == w.bob.id_number


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="schema changes inside the test's transaction")
def test_the_migration_round_trip_on_postgresql(w):
    """Unapplying the migration decrypts into the old plain columns; applying it encrypts again."""
    from django.db.migrations.executor import MigrationExecutor

    with connection.cursor() as cursor:  # DDL refuses tables with pending deferred FK checks
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    executor = MigrationExecutor(connection)
    executor.migrate([("org", "0002_load_regions")])
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, mobile FROM org_person WHERE id = %s", [w.alice.pk])
        assert cursor.fetchone() == (w.alice.id_number, w.alice.mobile)
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    raw = _raw(w.alice)
    assert w.alice.id_number not in raw[0] and raw[2] == keyed_hash(w.alice.id_number)
    assert Person.objects.get(id_number_hash=keyed_hash(w.alice.id_number)) == w.alice


@override_settings(DEBUG=False, FIELD_KEY_FROM_ENV=False)
def test_check_deploy_fails_without_a_field_key_from_the_environment():
    assert "fangkong.E002" in {issue.id for issue in production_settings(None)}
    with override_settings(FIELD_KEY_FROM_ENV=True):
        assert "fangkong.E002" not in {issue.id for issue in production_settings(None)}
