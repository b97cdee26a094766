"""The nurse rota: fill a week of NurseShift rows in one step (clinic admin)."""

from datetime import time, timedelta

from django.db import transaction

from .models import Closure, NurseShift, OpeningHours


@transaction.atomic
def fill_rota_week(
    *, location, week_starting, band_split: time, morning_nurses: int, afternoon_nurses: int
) -> int:
    """Replace the rota of each open day of the week with a morning and an afternoon band.

    Each opening-hours band of a day is split at band_split (a band wholly before or after it gets
    one shift). Closed days get no shifts. Returns the number of shifts created.
    """
    days = [week_starting + timedelta(days=i) for i in range(7)]
    closed = set()
    for starts_on, ends_on in Closure.objects.filter(
        location=location, starts_on__lte=days[-1], ends_on__gte=days[0]
    ).values_list("starts_on", "ends_on"):
        closed.update(d for d in days if starts_on <= d <= ends_on)
    hours = {}
    for weekday, opens, closes in OpeningHours.objects.filter(location=location).values_list(
        "weekday", "opens", "closes"
    ):
        hours.setdefault(weekday, []).append((opens, closes))
    NurseShift.objects.filter(location=location, date__in=days).delete()
    shifts = []
    for day in days:
        if day in closed:
            continue
        for opens, closes in hours.get(day.weekday(), []):
            if opens < band_split < closes:
                bands = [(opens, band_split, morning_nurses), (band_split, closes, afternoon_nurses)]
            elif closes <= band_split:
                bands = [(opens, closes, morning_nurses)]
            else:
                bands = [(opens, closes, afternoon_nurses)]
            for starts, ends, nurses in bands:
                shift = NurseShift(location=location, date=day, starts=starts, ends=ends, nurses=nurses)
                shift.full_clean()
                shifts.append(shift)
    NurseShift.objects.bulk_create(shifts)
    return len(shifts)
