"""Signals other apps listen to; sent inside the check-in's transaction."""

from django.dispatch import Signal

# Sent after a check-in is stored (a new one or an amendment; not for a replay), with actor and
# checkin, by actions.submit_checkin and by the day import. Listeners must be cheap for the common
# case (a green card): this is the hot path of the morning peak.
checkin_stored = Signal()
