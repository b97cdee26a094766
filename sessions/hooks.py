"""What scheduling lets the apps above it do, without importing them (the apps depend one way:
docs/architecture.md). A higher app connects in its AppConfig.ready(), as Django's own signals and
the admin's site.register do.

- booking_checks: called inside the booking transaction, after the chairs and the patient are locked
  and the referral is chosen, with keyword arguments patient, referral, protocol_version and
  session_count. Each may raise ValidationError (keyed by field) to refuse the booking.
  Billing connects its pre-authorisation check.
- board_sessions: annotate the day board's sessions queryset (the record adds its latest NEWS2).
- page_fragments: templates that higher apps add to the scheduling pages, by slot:
  "board_session" (inside each session on the day board; context `s` is the session),
  "day_board_top" (above the day board's timeline), "session_detail" (the session page).
  The session record connects its NEWS2 badge, unescalated alerts and its link.
"""

from collections.abc import Callable

booking_checks: list[Callable[..., None]] = []

# Functions (queryset -> queryset) that annotate the day board's sessions, as subqueries.
board_sessions: list[Callable] = []

page_fragments: dict[str, list[str]] = {"board_session": [], "day_board_top": [], "session_detail": []}


def run_booking_checks(**kwargs) -> None:
    for check in booking_checks:
        check(**kwargs)
