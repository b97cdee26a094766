from django.urls import path

from . import views

app_name = "audit"

urlpatterns = [
    path("patients/<int:patient_id>/", views.patient_audit, name="patient"),
    path("users/<int:user_id>/", views.user_audit, name="user"),
    path("keep-alive/", views.keep_alive, name="keep_alive"),
    path("signed-out/", views.idle_sign_out, name="idle_sign_out"),
]
