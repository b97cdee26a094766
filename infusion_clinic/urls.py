from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from . import views
from .mfa import views as mfa_views
from .mfa.middleware import second_factor_pending_allowed

handler400 = "infusion_clinic.views.bad_request"
handler403 = "infusion_clinic.views.permission_denied"
handler404 = "infusion_clinic.views.page_not_found"
handler500 = "infusion_clinic.views.server_error"

auth_patterns = [
    path("login/", mfa_views.LoginView.as_view(), name="login"),
    # Signing out is open between the password and the second factor too.
    path("logout/", second_factor_pending_allowed(auth_views.LogoutView.as_view()), name="logout"),
    path("password-change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("password-change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("password-reset/", auth_views.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/done/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("two-factor/", include("infusion_clinic.mfa.urls")),
]

urlpatterns = [
    path("", views.dashboard_view, name="dashboard"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("accounts/", include(auth_patterns)),
    path("patients/", include("patients.urls")),
    path("patients/", include("interop.sar_urls")),
    path("protocols/", include("protocols.urls")),
    path("sessions/", include("sessions.urls")),
    path("", include("records.urls")),
    path("", include("followup.urls")),
    path("billing/", include("billing.urls")),
    path("reports/", include("reports.urls")),
    path("staff/", include("staff.urls")),
    path("staff/", include("api.token_urls")),  # a staff member's API tokens (docs/api.md)
    path("audit/", include("audit.urls")),
    path("api/", include("api.urls")),
    path("fhir/", include("interop.urls")),
    path("admin/", admin.site.urls),
]

# Pages that moved to another app keep their old addresses: old links and bookmarks get a permanent
# redirect, query string kept. The clinic reports lived under /billing/reports/ until they had their own
# app (NHS activity stayed billing's, at its old path, matched first by billing.urls above); prescribing
# lived under /protocols/prescribe/ until prescriptions moved to patients.
urlpatterns += [
    path(old, RedirectView.as_view(pattern_name=new, permanent=True, query_string=True))
    for old, new in [
        ("billing/reports/", "reports:index"),
        ("billing/reports/waiting-list/", "reports:waiting_list"),
        ("billing/reports/<slug:slug>/", "reports:report"),
        ("protocols/prescribe/<int:patient_pk>/", "patients:prescribe"),
        ("protocols/prescribe/<int:patient_pk>/preview/", "patients:dose_preview"),
    ]
]

# No /media/ route, in DEBUG either: uploaded letters are served only by patients:referral_letter,
# which checks the role and sends them as attachments.
