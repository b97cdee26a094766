from django import template

from sessions.record_selectors import badge_for

register = template.Library()


@register.simple_tag
def record_badge(session):
    """The NEWS2 / overdue badge data of a session annotated by record_selectors.with_record_summary."""
    return badge_for(session)
