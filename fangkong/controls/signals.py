"""Signals other apps listen to; sent inside the controls action's transaction."""

from django.dispatch import Signal

# Sent by actions.set_region_levels for every level recorded that is already in force, with actor,
# region (org.Region), old and new (level names). Overseas projects listen for countries.
risk_changed = Signal()
