from django.urls import path

from . import reminder_views as views

# Included from sessions/urls.py: the names live in the "infusion_sessions:" namespace.
urlpatterns = [
    path("reminders/", views.reminder_list, name="reminder_list"),
    path("reminders/<int:pk>/retry/", views.reminder_retry, name="reminder_retry"),
    path("reminders/wording/", views.reminder_templates, name="reminder_templates"),
    path("reminders/wording/<str:channel>/", views.reminder_template_edit, name="reminder_template_edit"),
]
