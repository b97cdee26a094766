from django.urls import include, path

app_name = "patients"

urlpatterns = [
    # Follow-up (pain diaries, outcome reviews) lives in its own module; same "patients:" namespace.
    path("", include("patients.followup_urls")),
]
