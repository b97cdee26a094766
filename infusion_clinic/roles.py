"""The four clinic roles as Django groups, and the permissions each holds.

The mapping lives here, in code, so that a review of who may do what is one file. A data migration
creates the groups; after every `migrate` the groups are brought back in line with this mapping, so
permissions of models that later migrations add reach the roles too. A permission named here that
does not exist yet is skipped (it is assigned once its model exists).
"""

RECEPTION = "Reception"
NURSE = "Nurse"
SPECIALIST = "Pain specialist"
CLINIC_ADMIN = "Clinic admin"
ROLES = (RECEPTION, NURSE, SPECIALIST, CLINIC_ADMIN)

# Short keys for templates and URLs.
ROLE_KEYS = {RECEPTION: "reception", NURSE: "nurse", SPECIALIST: "specialist", CLINIC_ADMIN: "admin"}

_DAY_BOARD = [
    "infusion_sessions.view_infusionsession",
    "infusion_sessions.view_chair",
    "infusion_sessions.view_location",
    "infusion_sessions.checkin_session",
]

# Every role reads the protocol library.
_PROTOCOL_LIBRARY = [
    "protocols.view_protocolfamily",
    "protocols.view_protocolversion",
]

# Nurses and specialists both add addenda and escalations to a session record.
_RECORD_NOTES = [
    "records.view_addendum",
    "records.add_addendum",
    "records.view_escalation",
    "records.add_escalation",
]

ROLE_PERMISSIONS = {
    RECEPTION: [
        "patients.view_patient",
        "patients.add_patient",
        "patients.change_patient",
        "patients.view_referral",
        "patients.add_referral",
        "patients.change_referral",
        "infusion_sessions.add_infusionsession",
        "infusion_sessions.change_infusionsession",
        "infusion_sessions.book_session",
        *_DAY_BOARD,
        *_PROTOCOL_LIBRARY,
        "billing.view_invoice",
        "billing.view_preauthorisation",
        "billing.add_preauthorisation",
        "billing.change_preauthorisation",
        "sessions_followup.view_reminder",
        "followup.view_reminderlog",
        "followup.change_reminderlog",
    ],
    NURSE: [
        "patients.view_patient",
        "patients.view_referral",
        "patients.view_clinical",
        "patients.view_eligibilityassessment",
        "patients.add_weightrecord",
        "followup.view_paindiaryentry",
        "followup.add_paindiaryentry",
        *_DAY_BOARD,
        "infusion_sessions.chart_session",
        "infusion_sessions.complete_session",
        "records.view_vitalsigns",
        "records.add_vitalsigns",
        "records.view_adverseevent",
        "records.add_adverseevent",
        "records.view_ratechange",
        "records.add_ratechange",
        *_RECORD_NOTES,
        *_PROTOCOL_LIBRARY,
    ],
    SPECIALIST: [
        "patients.view_patient",
        "patients.change_patient",
        "patients.view_referral",
        "patients.change_referral",
        "patients.triage_referral",
        "patients.view_clinical",
        "patients.view_eligibilityassessment",
        "patients.add_eligibilityassessment",
        "patients.add_weightrecord",
        "followup.view_paindiaryentry",
        "followup.add_paindiaryentry",
        "followup.review_paindiary",
        "followup.view_outcomereview",
        "followup.add_outcomereview",
        "followup.change_outcomereview",
        *_DAY_BOARD,
        "records.view_vitalsigns",
        "records.view_adverseevent",
        "records.view_ratechange",
        "infusion_sessions.signoff_session",
        "infusion_sessions.amend_session",
        *_RECORD_NOTES,
        *_PROTOCOL_LIBRARY,
        "patients.prescribe",
    ],
    CLINIC_ADMIN: [
        "patients.view_patient",
        "patients.view_referral",
        *_PROTOCOL_LIBRARY,
        "protocols.manage_protocols",
        "infusion_sessions.view_infusionsession",
        "infusion_sessions.manage_chairs",
        "infusion_sessions.view_chair",
        "infusion_sessions.view_location",
        "billing.view_invoice",
        "billing.change_invoice",
        "billing.manage_prices",
        "billing.view_reports",
        "billing.add_invoice",
        "billing.view_preauthorisation",
        "billing.add_preauthorisation",
        "billing.change_preauthorisation",
        "auth.view_user",
        "auth.add_user",
        "auth.change_user",
        "followup.view_remindertemplate",
        "followup.change_remindertemplate",
        "audit.view_accessevent",
        "interop.export_subject_access",
    ],
}


def sync_roles(*, group_model, permission_model):
    """Create the groups and give each exactly the permissions of ROLE_PERMISSIONS that exist."""
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=role)
        wanted = []
        for perm in perms:
            app_label, codename = perm.split(".", 1)
            found = permission_model.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if found is not None:
                wanted.append(found)
        group.permissions.set(wanted)


def sync_roles_after_migrate(sender, **kwargs):
    # Run once, after the last app's post_migrate (ours is registered last among project apps).
    if sender.label != "billing":
        return
    from django.contrib.auth.models import Group, Permission

    sync_roles(group_model=Group, permission_model=Permission)


def user_roles(user) -> set[str]:
    """The role names of a user (superusers count as every role for navigation)."""
    if not user.is_authenticated:
        return set()
    if user.is_superuser:
        return set(ROLES)
    cached = getattr(user, "_role_names", None)
    if cached is None:
        cached = set(user.groups.filter(name__in=ROLES).values_list("name", flat=True))
        user._role_names = cached
    return cached
