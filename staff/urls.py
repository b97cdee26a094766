from django.urls import path

from . import views

app_name = "staff"

urlpatterns = [
    path("", views.staff_list, name="list"),
    path("new/", views.staff_create, name="create"),
    path("<int:pk>/", views.staff_detail, name="detail"),
    path("<int:pk>/edit/", views.staff_edit, name="edit"),
    path("<int:pk>/deactivate/", views.staff_sign_in_change, {"change": "deactivate"}, name="deactivate"),
    path("<int:pk>/reactivate/", views.staff_sign_in_change, {"change": "reactivate"}, name="reactivate"),
    path("<int:pk>/two-factor/reset/", views.staff_reset_second_factor, name="reset_second_factor"),
    path("<int:pk>/password-email/", views.staff_send_password_email, name="password_email"),
]
