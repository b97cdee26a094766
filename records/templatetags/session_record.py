from django import template
from django.utils.safestring import mark_safe

from records import chart_svg
from records.models import VitalSigns
from records.selectors import badge_for

register = template.Library()


@register.simple_tag
def record_badge(session):
    """The NEWS2 / overdue badge data of a session annotated by records.selectors.with_record_summary."""
    return badge_for(session)


@register.simple_tag
def latest_vitals(session):
    """The latest observation of one session (for its session page: one query)."""
    return VitalSigns.objects.filter(session=session).order_by("-observed_at", "-id").first()


@register.simple_tag
def session_chart_svg(chart):
    """The printable chart (records.chart_svg): SVG built with ElementTree, every text escaped; "" when
    there is no observation to draw."""
    return mark_safe(chart_svg.session_chart_svg(chart))
