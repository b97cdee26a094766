from django.urls import include, path

app_name = "infusion_sessions"

urlpatterns = [
    # The session record (charting, sign-off) and reminders have their own modules; same namespace.
    path("", include("sessions.record_urls")),
    path("", include("sessions.reminder_urls")),
]
