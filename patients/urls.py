from django.urls import path

from . import views

app_name = "patients"

urlpatterns = [
    path("", views.patient_list, name="patient_list"),
    path("pick/", views.patient_picker, name="picker"),
    path("new/", views.patient_create, name="patient_create"),
    path("<int:pk>/", views.patient_detail, name="patient_detail"),
    path("<int:pk>/edit/", views.patient_edit, name="patient_edit"),
    path("<int:pk>/history/", views.patient_history, name="patient_history"),
    path("<int:pk>/weights/new/", views.weight_add, name="weight_add"),
    path("<int:pk>/eligibility/<slug:family>/", views.eligibility_assess, name="eligibility_assess"),
    path("<int:patient_pk>/prescribe/", views.prescribe_view, name="prescribe"),
    path("<int:patient_pk>/prescribe/preview/", views.dose_preview, name="dose_preview"),
    path("referrals/new/", views.referral_intake, name="referral_intake"),
    path("referrals/waiting-list/", views.waiting_list, name="waiting_list"),
    path("referrals/triage/", views.triage_queue, name="triage_queue"),
    path("referrals/<int:pk>/", views.referral_detail, name="referral_detail"),
    path("referrals/<int:pk>/edit/", views.referral_edit, name="referral_edit"),
    path("referrals/<int:pk>/letter/", views.referral_letter, name="referral_letter"),
    path("referrals/<int:pk>/transition/", views.referral_transition, name="referral_transition"),
    # Follow-up (pain diaries, outcome reviews) lives in its own module; same "patients:" namespace.
]
