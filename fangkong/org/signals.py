"""Signals other apps listen to; sent inside the action's transaction."""

from django.dispatch import Signal

# Sent by org.actions.transfer_person and person_leaves with person, old_unit, new_unit (None when
# the person leaves) and on (the first day of the change).
placement_changed = Signal()

# Sent by every action that changes who is expected where: changes is a list of
# (unit_id, first_day, end_day_or_None, delta): on days in [first_day, end_day) the unit expects
# `delta` more people. Listeners keep per-day headcounts (checkins.UnitDay.expected) true.
headcount_changed = Signal()
