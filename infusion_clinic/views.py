from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import dashboard
from .roles import user_roles


def dashboard_view(request):
    """Each role sees its own work; a person with several roles sees each section."""
    roles = user_roles(request.user)
    sections = dashboard.sections_for(request=request, roles=roles)
    return render(request, "dashboard/index.html", {"sections": sections})


def _database_ok() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return True, "ok"
    except Exception as exc:  # any failure means "down"; the detail goes in the JSON
        return False, f"unreachable: {exc.__class__.__name__}"


def _broker_ok() -> tuple[bool, str]:
    url = settings.CELERY_BROKER_URL
    if not url:
        return True, "not configured (tasks run in-process)"
    from kombu import Connection

    try:
        with Connection(url, connect_timeout=2, transport_options={"max_retries": 0}) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True, "ok"
    except Exception as exc:
        return False, f"unreachable: {exc.__class__.__name__}"


@login_not_required
@never_cache
@require_GET
def healthz(request):
    db_ok, db_detail = _database_ok()
    broker_ok, broker_detail = _broker_ok()
    ok = db_ok and broker_ok
    return JsonResponse(
        {"status": "ok" if ok else "unavailable", "database": db_detail, "broker": broker_detail},
        status=200 if ok else 503,
    )


@login_not_required
@require_GET
def favicon(request):
    """Browsers ask for /favicon.ico before (or instead of) reading the page's <link rel="icon">."""
    return HttpResponsePermanentRedirect(static("img/favicon.ico"))


# The REST API's callers are machines: an error page under /api/ (a NUL character refused by the
# middleware, an unknown address) answers JSON as the API's own refusals do (api/exceptions.py).
API_PREFIX = "/api/"


def _api_error(request, status, detail):
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"detail": detail}, status=status)
    return None


def permission_denied(request, exception=None):
    return _api_error(request, 403, "Forbidden.") or render(request, "403.html", status=403)


@login_not_required
def bad_request(request, exception=None):
    return _api_error(request, 400, "Bad request.") or render(request, "400.html", status=400)


def page_not_found(request, exception=None):
    return _api_error(request, 404, "Not found.") or render(request, "404.html", status=404)


@login_not_required
def server_error(request):
    return _api_error(request, 500, "Server error.") or render(request, "500.html", status=500)
