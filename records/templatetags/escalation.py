from django import template

from records.escalation_rules import escalation_url, unescalated_alerts_for
from records.models import Escalation

register = template.Library()


@register.simple_tag
def record_escalations(page):
    """Escalation entries and unescalated alerts of a record page, read once per page (two queries)."""
    cached = getattr(page, "_escalations", None)
    if cached is None:
        session = page.session
        pending = unescalated_alerts_for(session=session)
        for v in pending:
            v.escalation_url = escalation_url(session, v)
        cached = {
            "entries": list(
                Escalation.objects.filter(session=session).select_related("vital_signs", "recorded_by")
            ),
            "pending": pending,
            "url": escalation_url(session),
        }
        page._escalations = cached
    return cached


@register.simple_tag
def board_unescalated(board):
    """The day board's sessions with an alert awaiting escalation, worst first (no query: the
    board's sessions carry the annotation of records.selectors.with_record_summary)."""
    found = [s for row in board.rows for s in row.sessions if getattr(s, "unescalated_alert", False)]
    found.sort(key=lambda s: (-(s.latest_alert_level or 0), s.start))
    for s in found:
        s.escalation_url = escalation_url(s)
    return found
