"""Demo clinic: one infusion suite, six chairs, weekday hours, a bank holiday and a rota.

Bookings come from demo/bookings.py, which runs after the patients' seed (it needs
eligible patients). Idempotent: running it again changes nothing that exists.
"""

from datetime import date, time, timedelta

from django.utils import timezone

from sessions.models import Chair, Closure, Location, NurseShift, OpeningHours
from sessions.rota import fill_rota_week

LOCATION = "Riverside Infusion Suite"
ROTA_WEEKS = 6


def seed(*, users, stdout):
    location, _ = Location.objects.get_or_create(
        name=LOCATION, defaults={"address": "Level 2, Riverside Health Centre, Manchester M1 1AA"}
    )
    order = 0
    for bay in (1, 2):
        for chair in (1, 2, 3):
            order += 1
            Chair.objects.get_or_create(
                location=location, name=f"Bay {bay} Chair {chair}", defaults={"display_order": order}
            )
    if not location.opening_hours.exists():
        OpeningHours.objects.bulk_create(
            OpeningHours(location=location, weekday=day, opens=time(8, 0), closes=time(18, 0))
            for day in range(5)
        )
    today = timezone.localdate()
    for year in (today.year, today.year + 1):
        christmas = date(year, 12, 25)
        Closure.objects.get_or_create(
            location=location,
            starts_on=christmas,
            defaults={"ends_on": christmas + timedelta(days=1), "reason": "Christmas and Boxing Day"},
        )
    monday = today - timedelta(days=today.weekday())
    for week in range(ROTA_WEEKS):
        week_start = monday + timedelta(weeks=week)
        if not NurseShift.objects.filter(
            location=location, date__gte=week_start, date__lt=week_start + timedelta(days=7)
        ).exists():
            # Two nurses all day, a third joining for the busy middle of the day on Tuesdays to Thursdays
            fill_rota_week(
                location=location,
                week_starting=week_start,
                band_split=time(13, 0),
                morning_nurses=2,
                afternoon_nurses=2,
            )
            for offset in (1, 2, 3):
                NurseShift.objects.create(
                    location=location,
                    date=week_start + timedelta(days=offset),
                    starts=time(10, 0),
                    ends=time(15, 0),
                    nurses=1,
                )
