from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.report_index, name="index"),
    path("waiting-list/", views.waiting_list_report, name="waiting_list"),
    path("<slug:slug>/", views.report, name="report"),
]
