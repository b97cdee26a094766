"""/api/: the REST API, its OpenAPI 3 schema and its docs page (docs/api.md).

Every view here is `login_not_required` for Django's LoginRequiredMiddleware (and so for the pages'
second-factor and idle sign-out middleware, which follow the same mark): DRF authenticates each request
itself, with a token or the session (api/authentication.py, which applies the second-factor rule), and
answers 401/403 JSON instead of redirecting to the login page."""

from django.contrib.auth.decorators import login_not_required
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import views

app_name = "api"


def _open(view_class, **kwargs):
    return login_not_required(view_class.as_view(**kwargs))


urlpatterns = [
    path("patients/", _open(views.PatientList), name="patients"),
    path("patients/<int:pk>/", _open(views.PatientDetail), name="patient"),
    path("referrals/", _open(views.ReferralList), name="referrals"),
    path("referrals/<int:pk>/", _open(views.ReferralDetail), name="referral"),
    path("sessions/", _open(views.SessionList), name="sessions"),
    path("sessions/<int:pk>/", _open(views.SessionDetail), name="session"),
    path("sessions/<int:pk>/cancel/", _open(views.SessionCancel), name="session_cancel"),
    path("sessions/<int:pk>/observations/", _open(views.ObservationList), name="observations"),
    path("schema/", _open(SpectacularAPIView), name="schema"),
    # Swagger UI with its start-up script served as a file from here (not inline), under the CSP.
    path(
        "docs/",
        _open(SpectacularSwaggerSplitView, url_name="api:schema", template_name="api/swagger_ui.html"),
        name="docs",
    ),
]
