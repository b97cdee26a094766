from django.urls import path

from . import views

# Included at the root: the paths are the ones patients' diary links and staff bookmarks already use.
app_name = "followup"

urlpatterns = [
    path("sessions/reminders/", views.reminder_list, name="reminder_list"),
    path("sessions/reminders/<int:pk>/retry/", views.reminder_retry, name="reminder_retry"),
    path("sessions/reminders/wording/", views.reminder_templates, name="reminder_templates"),
    path(
        "sessions/reminders/wording/<str:channel>/",
        views.reminder_template_edit,
        name="reminder_template_edit",
    ),
    path("patients/diary/<str:token>/", views.diary_public, name="diary_public"),
    path("patients/follow-up/diaries/", views.diary_queue, name="diary_queue"),
    path("patients/follow-up/diaries/<int:patient_id>/", views.patient_diary, name="patient_diary"),
    path("patients/follow-up/diaries/<int:patient_id>/review/", views.diary_review, name="diary_review"),
    path(
        "patients/follow-up/diaries/<int:patient_id>/entry/",
        views.diary_entry_create,
        name="diary_entry_create",
    ),
    path(
        "patients/follow-up/diaries/<int:patient_id>/link/", views.diary_link_create, name="diary_link_create"
    ),
    path(
        "patients/follow-up/diaries/<int:patient_id>/links/<int:pk>/revoke/",
        views.diary_link_revoke,
        name="diary_link_revoke",
    ),
    path(
        "patients/follow-up/diaries/<int:patient_id>/links/<int:pk>/send/",
        views.diary_link_send,
        name="diary_link_send",
    ),
    path(
        "patients/follow-up/diaries/<int:patient_id>/links/<int:pk>/slip/",
        views.diary_link_slip,
        name="diary_link_slip",
    ),
    path("patients/follow-up/diaries/<int:patient_id>/panel/", views.diary_panel, name="diary_panel"),
    path("patients/follow-up/outcomes/", views.outcome_queue, name="outcome_queue"),
    path("patients/follow-up/outcomes/<int:pk>/", views.outcome_detail, name="outcome_detail"),
    path("patients/follow-up/outcomes/<int:pk>/record/", views.outcome_record, name="outcome_record"),
    path("patients/follow-up/outcomes/<int:pk>/letter/", views.outcome_letter, name="outcome_letter"),
    path(
        "patients/follow-up/outcomes/<int:pk>/gp-letter.pdf",
        views.outcome_letter,
        {"as_pdf": True},
        name="outcome_letter_pdf",
    ),
]
