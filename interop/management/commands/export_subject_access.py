"""python manage.py export_subject_access <patient id or NHS number> --out file.zip --by <username>"""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.test import RequestFactory

from interop.sar_views import PERMISSION
from interop.subject_access import export_for, find_patient
from patients.models import Patient

COMMAND_PATH = "/manage.py/export_subject_access/"


class Command(BaseCommand):
    help = (
        "Export one patient's whole record (FHIR Bundle, letters, README) as a zip for a subject access "
        "request. Recorded in the access audit under the user named by --by."
    )

    def add_arguments(self, parser):
        parser.add_argument("patient", help="the patient's id or NHS number")
        parser.add_argument("--out", required=True, help="the zip file to write")
        parser.add_argument("--by", required=True, help="the username of the member of staff who asks for it")
        parser.add_argument("--reason", default="Subject access request", help="kept in the access audit")

    def handle(self, *args, patient, out, by, reason, **options):
        user = get_user_model().objects.filter(username=by, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user '{by}'.")
        if not user.has_perm(PERMISSION):
            raise CommandError(f"{by} may not export a patient's whole record (a clinic admin's permission).")
        try:
            found = find_patient(patient)
        except Patient.DoesNotExist as exc:
            raise CommandError(f"No patient with id or NHS number {patient}.") from exc
        if not reason.strip():
            raise CommandError("Give a reason (--reason): it is kept in the access audit.")
        target = Path(out)
        if not target.parent.exists():
            raise CommandError(f"The folder {target.parent} does not exist.")
        # The access audit records requests: this one names the command, with no client address.
        request = RequestFactory().generic(
            "COMMAND", f"{COMMAND_PATH}{found.pk}", HTTP_USER_AGENT="manage.py export_subject_access"
        )
        request.META.pop("REMOTE_ADDR", None)
        request.user = user
        data = export_for(request, patient=found, reason=reason)
        target.write_bytes(data)
        self.stdout.write(f"Wrote {target} ({len(data)} bytes): the whole record of {found.full_name}.")
