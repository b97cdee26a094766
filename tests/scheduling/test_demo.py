import io

import pytest

from demo import bookings as demo_bookings
from demo import sessions as demo
from infusion_clinic.roles import RECEPTION
from sessions.models import Chair, InfusionSession, NurseShift

from .conftest import eligible_patient

pytestmark = pytest.mark.django_db


def test_the_demo_seed_is_idempotent_and_books_only_eligible_patients(lidocaine, booker):
    users = {RECEPTION: booker}
    out = io.StringIO()
    demo_bookings.seed(users=users, stdout=out)  # no chairs yet: nothing to book, no error
    assert not InfusionSession.objects.exists()
    demo.seed(users=users, stdout=out)
    patient = eligible_patient(lidocaine)
    for _ in range(2):
        demo.seed(users=users, stdout=out)
        demo_bookings.seed(users=users, stdout=out)
    assert Chair.objects.count() == 6
    assert NurseShift.objects.exists()
    assert InfusionSession.objects.filter(patient=patient).count() == 1
