"""The subject access export page, beside the patient's pages: /patients/<id>/subject-access/."""

from django.urls import path

from . import sar_views

app_name = "subject_access"

urlpatterns = [path("<int:pk>/subject-access/", sar_views.subject_access, name="export")]
