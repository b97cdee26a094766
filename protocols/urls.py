from django.urls import path

from . import views

app_name = "protocols"

urlpatterns = [
    path("", views.library, name="library"),
    path("versions/<int:pk>/", views.version_detail, name="version_detail"),
    path("versions/<int:pk>/new/", views.version_create, name="version_create"),
    path("versions/<int:pk>/verify/", views.version_verify, name="version_verify"),
]
