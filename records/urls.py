from django.urls import path

from . import escalation_views, fhir_views, views

# Under /sessions/<id>/record/, beside the scheduling pages of the session (included at the root).
app_name = "records"

# The patient's FHIR resource lives with the record's FHIR mapping (records/fhir.py).
patient_urls = [path("patients/<int:pk>/fhir.json", fhir_views.patient_fhir, name="patient_fhir")]

urlpatterns = patient_urls + [
    path(
        "sessions/<int:pk>/record/escalation/",
        escalation_views.session_record_escalation,
        name="session_record_escalation",
    ),
    path("sessions/<int:pk>/record/", views.session_record, name="session_record"),
    path("sessions/<int:pk>/record/print/", views.session_record_print, name="session_record_print"),
    path(
        "sessions/<int:pk>/record/record.pdf",
        views.session_record_print,
        {"as_pdf": True},
        name="session_record_pdf",
    ),
    path("sessions/<int:pk>/record/fhir.json", fhir_views.session_record_fhir, name="session_record_fhir"),
    path("sessions/<int:pk>/record/check-in/", views.session_record_check_in, name="session_record_check_in"),
    path("sessions/<int:pk>/record/start/", views.session_record_start, name="session_record_start"),
    path("sessions/<int:pk>/record/vitals/", views.session_record_vitals, name="session_record_vitals"),
    path(
        "sessions/<int:pk>/record/infusion/<slug:action>/",
        views.session_record_infusion,
        name="session_record_infusion",
    ),
    path("sessions/<int:pk>/record/events/", views.session_record_event, name="session_record_event"),
    path("sessions/<int:pk>/record/complete/", views.session_record_complete, name="session_record_complete"),
    path("sessions/<int:pk>/record/sign-off/", views.session_record_signoff, name="session_record_signoff"),
    path("sessions/<int:pk>/record/amend/", views.session_record_amend, name="session_record_amend"),
    path("sessions/<int:pk>/record/addendum/", views.session_record_addendum, name="session_record_addendum"),
    path(
        "sessions/<int:pk>/record/amend-event/",
        views.session_record_amend_event,
        name="session_record_amend_event",
    ),
    path(
        "sessions/<int:pk>/record/amend-rate/",
        views.session_record_amend_rate,
        name="session_record_amend_rate",
    ),
]
