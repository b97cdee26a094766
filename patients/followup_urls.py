from django.urls import path

from . import followup_views as views

# Included from patients/urls.py: the names live in the "patients:" namespace.
urlpatterns = [
    path("diary/<str:token>/", views.diary_public, name="diary_public"),
    path("follow-up/diaries/", views.diary_queue, name="diary_queue"),
    path("follow-up/diaries/<int:patient_id>/", views.patient_diary, name="patient_diary"),
    path("follow-up/diaries/<int:patient_id>/review/", views.diary_review, name="diary_review"),
    path("follow-up/diaries/<int:patient_id>/entry/", views.diary_entry_create, name="diary_entry_create"),
    path("follow-up/diaries/<int:patient_id>/link/", views.diary_link_create, name="diary_link_create"),
    path(
        "follow-up/diaries/<int:patient_id>/links/<int:pk>/revoke/",
        views.diary_link_revoke,
        name="diary_link_revoke",
    ),
    path("follow-up/diaries/<int:patient_id>/panel/", views.diary_panel, name="diary_panel"),
    path("follow-up/outcomes/", views.outcome_queue, name="outcome_queue"),
    path("follow-up/outcomes/<int:pk>/", views.outcome_detail, name="outcome_detail"),
    path("follow-up/outcomes/<int:pk>/record/", views.outcome_record, name="outcome_record"),
    path("follow-up/outcomes/<int:pk>/letter/", views.outcome_letter, name="outcome_letter"),
    path(
        "follow-up/outcomes/<int:pk>/gp-letter.pdf",
        views.outcome_letter,
        {"as_pdf": True},
        name="outcome_letter_pdf",
    ),
]
