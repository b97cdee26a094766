from django.urls import path

from . import escalation_views as views

urlpatterns = [
    path("<int:pk>/record/escalation/", views.session_record_escalation, name="session_record_escalation"),
]
