from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def plain(value):
    """A Decimal without trailing zeros (4.500 -> 4.5, 500.00 -> 500); other values unchanged."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return value
