from django.urls import path

from . import fhir_views
from . import record_views as views

urlpatterns = [
    path("<int:pk>/record/", views.session_record, name="session_record"),
    path("<int:pk>/record/print/", views.session_record_print, name="session_record_print"),
    path(
        "<int:pk>/record/record.pdf",
        views.session_record_print,
        {"as_pdf": True},
        name="session_record_pdf",
    ),
    path("<int:pk>/record/fhir.json", fhir_views.session_record_fhir, name="session_record_fhir"),
    path("<int:pk>/record/check-in/", views.session_record_check_in, name="session_record_check_in"),
    path("<int:pk>/record/start/", views.session_record_start, name="session_record_start"),
    path("<int:pk>/record/vitals/", views.session_record_vitals, name="session_record_vitals"),
    path(
        "<int:pk>/record/infusion/<slug:action>/",
        views.session_record_infusion,
        name="session_record_infusion",
    ),
    path("<int:pk>/record/events/", views.session_record_event, name="session_record_event"),
    path("<int:pk>/record/complete/", views.session_record_complete, name="session_record_complete"),
    path("<int:pk>/record/sign-off/", views.session_record_signoff, name="session_record_signoff"),
    path("<int:pk>/record/amend/", views.session_record_amend, name="session_record_amend"),
    path("<int:pk>/record/addendum/", views.session_record_addendum, name="session_record_addendum"),
    path("<int:pk>/record/amend-event/", views.session_record_amend_event, name="session_record_amend_event"),
    path("<int:pk>/record/amend-rate/", views.session_record_amend_rate, name="session_record_amend_rate"),
]
