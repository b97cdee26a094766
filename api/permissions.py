"""The same permissions as the pages (infusion_clinic/roles.py): each API view names, per HTTP method,
the permissions the page doing the same thing checks."""

from rest_framework.permissions import BasePermission


class RolePermissions(BasePermission):
    """`view.required_perms = {"GET": ("patients.view_patient",), "POST": (...)}`. A method the view does
    not list is refused; anonymous callers get 401 (DRF), signed-in ones without the permission 403, and
    a method the route does not have 405."""

    message = "Your role does not allow this."

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        if not hasattr(view, request.method.lower()):
            return True  # a method the route does not have: DRF answers 405, not a role refusal
        method = "GET" if request.method in ("HEAD", "OPTIONS") else request.method
        perms = getattr(view, "required_perms", {}).get(method)
        if perms is None:
            return False
        return request.user.has_perms(perms)
