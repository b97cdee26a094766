"""One way to guard a view: login plus a permission held through a role.

Anonymous users go to the login page (LoginRequiredMiddleware); a signed-in user without the
permission gets 403, never a redirect loop.
"""

from functools import wraps

from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import PermissionDenied


class RoleRequiredMixin(PermissionRequiredMixin):
    """Class-based views: set `permission_required` ("app_label.codename" or a tuple of them)."""

    raise_exception = True


def role_required(*perms):
    """Function views: @role_required("patients.add_referral")."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.has_perms(perms):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
