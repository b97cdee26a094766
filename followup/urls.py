from django.urls import include, path

from . import views

# Included at the root: the paths are the ones patients' diary links and staff bookmarks already use.
app_name = "followup"

reminder_urls = [
    path("", views.reminder_list, name="reminder_list"),
    path("<int:pk>/retry/", views.reminder_retry, name="reminder_retry"),
    path("wording/", views.reminder_templates, name="reminder_templates"),
    path("wording/<str:channel>/", views.reminder_template_edit, name="reminder_template_edit"),
]

patient_diary_urls = [
    path("", views.patient_diary, name="patient_diary"),
    path("review/", views.diary_review, name="diary_review"),
    path("entry/", views.diary_entry_create, name="diary_entry_create"),
    path("link/", views.diary_link_create, name="diary_link_create"),
    path("links/<int:pk>/revoke/", views.diary_link_revoke, name="diary_link_revoke"),
    path("links/<int:pk>/send/", views.diary_link_send, name="diary_link_send"),
    path("links/<int:pk>/slip/", views.diary_link_slip, name="diary_link_slip"),
    path("panel/", views.diary_panel, name="diary_panel"),
]

outcome_urls = [
    path("", views.outcome_queue, name="outcome_queue"),
    path("<int:pk>/", views.outcome_detail, name="outcome_detail"),
    path("<int:pk>/record/", views.outcome_record, name="outcome_record"),
    path("<int:pk>/letter/", views.outcome_letter, name="outcome_letter"),
    path("<int:pk>/gp-letter.pdf", views.outcome_letter, {"as_pdf": True}, name="outcome_letter_pdf"),
]

urlpatterns = [
    path("sessions/reminders/", include(reminder_urls)),
    path("patients/diary/<str:token>/", views.diary_public, name="diary_public"),
    path("patients/follow-up/diaries/", views.diary_queue, name="diary_queue"),
    path("patients/follow-up/diaries/<int:patient_id>/", include(patient_diary_urls)),
    path("patients/follow-up/outcomes/", include(outcome_urls)),
]
