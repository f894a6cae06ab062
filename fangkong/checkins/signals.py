"""Signals other apps listen to; sent inside the check-ins' transaction (but see below)."""

from django.dispatch import Signal

# Sent after check-ins are stored (new ones or amendments; not replays), with `actor` and
# `checkins` (a list: one for a single check-in, all of a batch's set-based part at once), by
# actions.submit_checkin and batch.submit_many. Listeners must be cheap for the common case (all
# green): this is the hot path of the morning peak. A green first check-in stored by the single
# statement of actions._store_first is announced after that statement, which is its transaction:
# a listener that writes for a green check-in would write outside it.
# Its receivers are kept per sender (use_caching): every check-in sends it.
checkins_stored = Signal(use_caching=True)
