"""Times of day on the session record: nurses type HH:MM (24-hour), meant on the session's own day in UK
time. One rule for the forms and for the services that take a corrected time (amendments)."""

from datetime import datetime, time

from django.core.exceptions import ValidationError
from django.utils import timezone

TIME_INPUT_FORMATS = ("%H:%M", "%H.%M", "%H%M")
INVALID_TIME = "Enter a 24-hour time such as 14:30."


def now_hhmm() -> str:
    return timezone.localtime().strftime("%H:%M")


def parse_time_of_day(text: str) -> time:
    """ "14:30", "14.30" or "1430" as a time; anything else is refused with the form's message."""
    text = text.strip()
    for fmt in TIME_INPUT_FORMATS:
        try:
            return datetime.strptime(text, fmt).time()
        except ValueError:
            continue
    raise ValidationError(INVALID_TIME, code="invalid")


def at_session_day(session, value):
    """Combine a time of day with the session's date in UK time; None stays None."""
    if value is None:
        return None
    day = timezone.localtime(session.start).date()
    return timezone.make_aware(datetime.combine(day, value))
