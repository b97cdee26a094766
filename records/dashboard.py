"""Dashboard cards of the session record (see infusion_clinic/dashboard.py)."""

from infusion_clinic.dashboard import Card
from infusion_clinic.roles import NURSE, SPECIALIST

from .selectors import sessions_awaiting_signoff, sessions_in_progress


def in_progress_card(request):
    rows = sessions_in_progress()
    alerts = sum(1 for _, b in rows if b["alert"])
    overdue = sum(1 for _, b in rows if b["due"].overdue)
    unescalated = sum(1 for _, b in rows if b["unescalated"])
    return Card(
        title="Infusions in progress",
        template="records/_dash_in_progress.html",
        context={"rows": rows, "alerts": alerts, "overdue": overdue, "unescalated": unescalated},
        order=5,
        icon="heart-pulse",
    )


def awaiting_signoff_card(request):
    rows, total = sessions_awaiting_signoff()
    return Card(
        title="Session records awaiting sign-off",
        template="records/_dash_signoff.html",
        context={"rows": rows, "total": total},
        order=10,
        icon="pen",
    )


PROVIDERS = {NURSE: [in_progress_card], SPECIALIST: [awaiting_signoff_card]}
