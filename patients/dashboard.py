"""Dashboard cards of the patients app (see infusion_clinic/dashboard.py). Constant queries each."""

from django.db.models import Count, Q

from infusion_clinic.dashboard import Card
from infusion_clinic.roles import RECEPTION, SPECIALIST

from .models import Referral, ReferralStatus
from .selectors import triage_queue

TOP_ITEMS = 5


def _counts():
    return Referral.objects.aggregate(
        received=Count("id", filter=Q(status=ReferralStatus.RECEIVED)),
        to_assess=Count(
            "id", filter=Q(status__in=[ReferralStatus.TRIAGED, ReferralStatus.AWAITING_ASSESSMENT])
        ),
    )


def reception_referrals_card(request):
    if not request.user.has_perm("patients.add_referral"):
        return None
    return Card(
        title="Referrals",
        template="patients/dashboard/_reception.html",
        context=_counts(),
        order=10,
        icon="envelope-paper",
    )


def specialist_triage_card(request):
    if not request.user.has_perm("patients.triage_referral"):
        return None
    counts = _counts()
    return Card(
        title="Triage queue",
        template="patients/dashboard/_specialist.html",
        context={**counts, "top": list(triage_queue()[:TOP_ITEMS])},
        order=10,
        icon="inbox",
    )


PROVIDERS = {RECEPTION: [reception_referrals_card], SPECIALIST: [specialist_triage_card]}
