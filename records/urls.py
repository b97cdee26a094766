from django.urls import include, path

from . import escalation_views, fhir_views, views

# Under /sessions/<id>/record/, beside the scheduling pages of the session (included at the root).
app_name = "records"

# The patient's FHIR resource lives with the record's FHIR mapping (records/fhir.py).
patient_urls = [path("patients/<int:pk>/fhir.json", fhir_views.patient_fhir, name="patient_fhir")]

record_urls = [
    path("", views.session_record, name="session_record"),
    path("escalation/", escalation_views.session_record_escalation, name="session_record_escalation"),
    path("print/", views.session_record_print, name="session_record_print"),
    path("record.pdf", views.session_record_print, {"as_pdf": True}, name="session_record_pdf"),
    path("fhir.json", fhir_views.session_record_fhir, name="session_record_fhir"),
    path("check-in/", views.session_record_check_in, name="session_record_check_in"),
    path("start/", views.session_record_start, name="session_record_start"),
    path("vitals/", views.session_record_vitals, name="session_record_vitals"),
    path("infusion/<slug:action>/", views.session_record_infusion, name="session_record_infusion"),
    path("events/", views.session_record_event, name="session_record_event"),
    path("complete/", views.session_record_complete, name="session_record_complete"),
    path("sign-off/", views.session_record_signoff, name="session_record_signoff"),
    path("amend/", views.session_record_amend, {"kind": "vitals"}, name="session_record_amend"),
    path("amend-event/", views.session_record_amend, {"kind": "event"}, name="session_record_amend_event"),
    path("amend-rate/", views.session_record_amend, {"kind": "rate"}, name="session_record_amend_rate"),
    path("addendum/", views.session_record_addendum, name="session_record_addendum"),
]

urlpatterns = [*patient_urls, path("sessions/<int:pk>/record/", include(record_urls))]
