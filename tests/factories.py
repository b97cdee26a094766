"""factory-boy factories shared by all tests. Keep one factory per model; build on these."""

from datetime import date, time, timedelta
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import models
from django.utils import timezone

from billing.models import Commissioner, Insurer
from infusion_clinic.roles import CLINIC_ADMIN, NURSE, RECEPTION, SPECIALIST
from patients.models import Patient, Referral, WeightRecord
from protocols.models import DoseBasis, Protocol, ProtocolFamily, ProtocolVersion
from sessions.models import Chair, Location, OpeningHours


def _plain_name(kind):
    """A Faker name without apostrophes (O'Brien): pages HTML-escape them, so a test that looks for
    the name in a page would fail on some runs only. Tests about apostrophes say so explicitly."""
    faker = factory.Faker._get_faker(locale="en_GB")
    return factory.LazyFunction(lambda: getattr(faker, kind)().replace("'", ""))


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = _plain_name("first_name")
    last_name = _plain_name("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted))
        if create:
            self.save()


def user_with_role(role, **kwargs):
    return UserFactory(role=role, **kwargs)


def reception_user(**kw):
    return user_with_role(RECEPTION, **kw)


def nurse_user(**kw):
    return user_with_role(NURSE, **kw)


def specialist_user(**kw):
    return user_with_role(SPECIALIST, **kw)


def admin_user(**kw):
    return user_with_role(CLINIC_ADMIN, **kw)


def _nhs_number(n: int) -> str:
    """A valid NHS number in the 999 test range (skips stems whose check digit would be 10)."""
    weights = (10, 9, 8, 7, 6, 5, 4, 3, 2)
    stem_n = n
    while True:
        stem = f"999{stem_n:06d}"
        check = 11 - sum(int(d) * w for d, w in zip(stem, weights, strict=True)) % 11
        check = 0 if check == 11 else check
        if check != 10:
            return stem + str(check)
        stem_n += 500_000  # jump to an unrelated stem to keep numbers unique per n


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    first_name = _plain_name("first_name")
    last_name = _plain_name("last_name")
    date_of_birth = factory.Faker("date_of_birth", minimum_age=20, maximum_age=85)
    sex = "F"
    nhs_number = factory.Sequence(lambda n: _nhs_number(n + 100))
    phone = factory.Sequence(lambda n: f"07700 900{n % 1000:03d}")
    email = factory.LazyAttribute(lambda p: f"{p.first_name.lower()}.{p.last_name.lower()}@example.org")
    consent_sms = True
    consent_email = True
    postcode = "M1 1AA"


class WeightRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WeightRecord

    patient = factory.SubFactory(PatientFactory)
    recorded_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=7))
    weight_kg = Decimal("70.0")
    recorded_by = factory.SubFactory(UserFactory)


class CommissionerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Commissioner
        django_get_or_create = ("ods_code",)

    name = "NHS Greater Manchester Integrated Care Board"
    ods_code = "QOP"


class InsurerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Insurer
        django_get_or_create = ("name",)

    name = "Bupa"


class ReferralFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Referral

    patient = factory.SubFactory(PatientFactory)
    source = "gp"
    gp_practice_name = "Riverside Medical Practice"
    gp_practice_ods = "P84001"
    received_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(weeks=4))
    condition = "neuropathic"
    funding_route = "nhs"
    commissioner = factory.SubFactory(CommissionerFactory)
    created_by = factory.SubFactory(UserFactory)


class ProtocolFamilyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProtocolFamily
        django_get_or_create = ("slug",)

    slug = "lidocaine"
    name = "Lidocaine"
    nurse_ratio = 3


class ProtocolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Protocol
        django_get_or_create = ("slug",)

    family = factory.SubFactory(ProtocolFamilyFactory)
    slug = factory.LazyAttribute(lambda p: p.family.slug)
    name = factory.LazyAttribute(lambda p: p.family.name)


class ProtocolVersionFactory(factory.django.DjangoModelFactory):
    """Lidocaine 5 mg/kg over 60 min (example defaults: docs/clinical-reference.md#protocol-defaults)."""

    class Meta:
        model = ProtocolVersion

    protocol = factory.SubFactory(ProtocolFactory)
    # The next number for the protocol: the library seeded by migration may already hold v1.
    version = factory.LazyAttribute(
        lambda v: (v.protocol.versions.aggregate(m=models.Max("version"))["m"] or 0) + 1
    )
    name = "Lidocaine 5 mg/kg over 60 min"
    drug = "Lidocaine 1%"
    concentration_mg_per_ml = Decimal("10")
    dose_basis = DoseBasis.MG_PER_KG
    default_dose = Decimal("5")
    soft_limit = Decimal("5")
    hard_limit = Decimal("7")
    absolute_max_mg = Decimal("500")
    infusion_minutes = 60
    diluent_volume_ml = 250
    setup_minutes = 15
    observation_minutes = 30
    observation_interval_minutes = 15
    requires_ecg = True
    course_sessions = 1
    course_interval_days = 28
    is_current = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # A new current version supersedes the current one (as protocols.services.create_version
        # does), so the factory works whether or not the seeded library is in the database.
        if kwargs.get("is_current", True):
            model_class.objects.filter(protocol=kwargs["protocol"], is_current=True).update(is_current=False)
        return super()._create(model_class, *args, **kwargs)


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location
        django_get_or_create = ("name",)
        skip_postgeneration_save = True  # the hook adds opening hours; the location itself is unchanged

    name = "Riverside Infusion Suite"

    @factory.post_generation
    def weekday_hours(self, create, extracted, **kwargs):
        """Open 08:00-18:00 Monday to Friday unless weekday_hours=False."""
        if create and extracted is not False and not self.opening_hours.exists():
            OpeningHours.objects.bulk_create(
                OpeningHours(location=self, weekday=d, opens=time(8), closes=time(18)) for d in range(5)
            )


class ChairFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Chair

    location = factory.SubFactory(LocationFactory)
    name = factory.Sequence(lambda n: f"Bay 1 Chair {n + 1}")
    display_order = factory.Sequence(lambda n: n)


def next_weekday(d: date | None = None) -> date:
    """The next Monday-to-Friday date strictly after d (today by default)."""
    d = (d or timezone.localdate()) + timedelta(days=1)
    while d.weekday() >= 5:
        d += timedelta(days=1)
    return d


# --- billing (issue 9) -------------------------------------------------------------------------


class PriceListFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "billing.PriceList"

    protocol_family = factory.SubFactory(ProtocolFamilyFactory)
    funding_route = "self_pay"
    effective_from = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=365))
    effective_to = None
    session_price = Decimal("450.00")
    review_fee = Decimal("150.00")


class PreAuthorisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "billing.PreAuthorisation"

    referral = factory.SubFactory(
        ReferralFactory,
        funding_route="insured",
        commissioner=None,
        insurer=factory.SubFactory(InsurerFactory),
        policy_number="POL-123",
        preauth_number=factory.Sequence(lambda n: f"PA-{n:05d}"),
        status="accepted",  # bookable: sessions are booked against an accepted referral
    )
    patient = factory.LazyAttribute(lambda p: p.referral.patient)
    insurer = factory.LazyAttribute(lambda p: p.referral.insurer)
    policy_number = factory.LazyAttribute(lambda p: p.referral.policy_number)
    preauth_number = factory.LazyAttribute(lambda p: p.referral.preauth_number)
    sessions_authorised = 3
    valid_from = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=30))
    valid_to = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=180))


class PackageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "billing.Package"

    name = "Course of three"
    protocol_family = factory.SubFactory(ProtocolFamilyFactory)
    funding_route = "self_pay"
    sessions_included = 3
    reviews_included = 1
    price = Decimal("1200.00")
