"""The check-in gate: may a check-in of this person be processed now?

Under the `consent` basis only a person with a standing acceptance (any notice version) may be
checked in, from any source; under another basis everybody may. The cost on the hot path is one
EXISTS probe in the person read that a check-in makes anyway (`checkins.statements.people`; the
partial unique index of Acceptance answers it) and the basis, cached per process like the card rules.
"""

from __future__ import annotations

from django.utils import timezone

from fangkong.lib.recent import Recent
from fangkong.org.actions import ActionError
from fangkong.org.models import Person

from .models import Acceptance, Basis, LegalBasis

# A basis switched in another process is in force everywhere within these seconds.
CACHE_SECONDS = 5.0


def _in_force() -> str:
    """The group's legal basis in force today (`consent` when none was ever recorded)."""
    row = (
        LegalBasis.objects.filter(effective_from__lte=timezone.localdate())
        .order_by("-effective_from", "-id")
        .values_list("basis", flat=True)
        .first()
    )
    return row or Basis.CONSENT.value


_basis = Recent(_in_force, CACHE_SECONDS)
current_basis = _basis.get
forget_basis = _basis.forget  # a basis was set here, or a test starts


def has_standing(person: Person) -> bool:
    known = getattr(person, "consent_standing", None)
    if known is not None:
        return bool(known)
    return Acceptance.objects.filter(person=person, withdrawn_at__isnull=True, consented=True).exists()


def may_process(person: Person) -> bool:
    return current_basis() != Basis.CONSENT or has_standing(person)


def check(person: Person) -> None:
    """Raise ActionError naming `person` if the person's check-ins may not be processed now."""
    if may_process(person):
        return
    if Acceptance.objects.filter(person=person, withdrawn_at__isnull=False).exists():
        raise ActionError(
            "has withdrawn consent to the processing of health data: no check-in is stored", "person"
        )
    raise ActionError(
        "has not accepted the privacy notice yet: the person accepts it on the check-in page first",
        "person",
    )
