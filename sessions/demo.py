from datetime import time

from .models import Chair, Location, OpeningHours

LOCATION = "Riverside Infusion Suite"


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
