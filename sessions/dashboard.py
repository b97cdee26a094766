"""Dashboard cards of the scheduling part: reception's arrivals and the nurses' sessions today."""

from infusion_clinic.dashboard import Card
from infusion_clinic.roles import NURSE, RECEPTION

from .models import ACTIVE_STATUSES, SessionStatus
from .selectors import next_session_day, todays_sessions

SHOWN = 8


def _card(*, title, sessions_qs, statuses, empty, icon, order):
    sessions = list(sessions_qs[: SHOWN + 1])
    more = 0
    if len(sessions) > SHOWN:
        more = sessions_qs.count() - SHOWN
        sessions = sessions[:SHOWN]
    # On a closed day (a weekend, a bank holiday) the card points at the next day with sessions, so that
    # nobody takes an empty card for a lost day board.
    next_day = None if sessions else next_session_day(statuses=statuses)
    return Card(
        title=title,
        template="infusion_sessions/dashboard/_sessions_today.html",
        context={"sessions": sessions, "more": more, "empty": empty, "next_day": next_day},
        icon=icon,
        order=order,
    )


def arrivals_card(request):
    if not request.user.has_perm("infusion_sessions.view_infusionsession"):
        return None
    return _card(
        title="Today's arrivals to check in",
        sessions_qs=todays_sessions(statuses=[SessionStatus.BOOKED]),
        statuses=[SessionStatus.BOOKED],
        empty="Nobody is waiting to be checked in today.",
        icon="box-arrow-in-right",
        order=10,
    )


def board_card(request):
    if not request.user.has_perm("infusion_sessions.view_infusionsession"):
        return None
    return _card(
        title="Today's sessions",
        sessions_qs=todays_sessions(statuses=list(ACTIVE_STATUSES)),
        statuses=list(ACTIVE_STATUSES),
        empty="No infusions booked today.",
        icon="calendar-day",
        order=10,
    )


PROVIDERS = {RECEPTION: [arrivals_card], NURSE: [board_card]}
