from .models import Commissioner, Insurer

COMMISSIONERS = [
    ("NHS Greater Manchester Integrated Care Board", "QOP"),
    ("NHS Cheshire and Merseyside Integrated Care Board", "QYG"),
]
INSURERS = ["Bupa", "AXA Health", "Aviva", "Vitality"]


def seed(*, users, stdout):
    for name, code in COMMISSIONERS:
        Commissioner.objects.get_or_create(ods_code=code, defaults={"name": name})
    for name in INSURERS:
        Insurer.objects.get_or_create(name=name)
