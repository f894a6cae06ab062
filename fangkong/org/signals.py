"""Signals other apps listen to; sent inside the action's transaction."""

from django.dispatch import Signal

# Sent by org.actions.transfer_person and person_leaves with person, old_unit, new_unit (None when
# the person leaves) and on (the first day of the change).
placement_changed = Signal()
