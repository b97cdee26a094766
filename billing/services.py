"""Billing services. The two hooks below are called by the sessions app; the billing issue fills them in.

- ensure_preauthorisation: called by the booking service inside its transaction, before sessions
  are saved. Raises ValidationError({"referral": ...}) when an insured booking has no authorised
  sessions left.
- session_completed: called by the session record when a nurse completes a session, inside the
  same transaction. Creates an invoice (private/insured) and uses one pre-authorised session.
"""


def ensure_preauthorisation(*, patient, referral, protocol_version, session_count: int) -> None:
    return None


def session_completed(*, session) -> None:
    return None
