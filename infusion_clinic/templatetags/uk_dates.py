"""`{{ d|uk_date }}`, `{{ dt|uk_datetime }}`, `{{ t|uk_time }}` and the other styles of
infusion_clinic/dates.py as filters (`|uk_weekday`, `|uk_day_month`, ...). A builtin library
(settings.TEMPLATES), so no template loads it. Empty for None, like Django's |date."""

from django import template

from infusion_clinic.dates import STYLES, uk_format

register = template.Library()


def _filter(style):
    def format_value(value):
        if value in (None, ""):
            return ""
        try:
            return uk_format(value, style)
        except (AttributeError, TypeError):
            return ""

    format_value.__name__ = f"uk_{style}"
    return format_value


for _style in STYLES:
    register.filter(f"uk_{_style}", _filter(_style), expects_localtime=True)
