from django.conf import settings

from .roles import CLINIC_ADMIN, NURSE, RECEPTION, SPECIALIST, user_roles


def clinic(request):
    roles = user_roles(request.user) if hasattr(request, "user") else set()
    return {
        "clinic_name": settings.CLINIC_NAME,
        "user_roles": roles,
        "is_reception": RECEPTION in roles,
        "is_nurse": NURSE in roles,
        "is_specialist": SPECIALIST in roles,
        "is_clinic_admin": CLINIC_ADMIN in roles,
    }
