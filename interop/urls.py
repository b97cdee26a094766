"""The FHIR R4 server, at /fhir/ (the REST convention: /fhir/<type>, /fhir/<type>/<id>, /fhir/metadata)."""

from django.urls import path, re_path

from . import views

app_name = "interop"

urlpatterns = [
    path("", views.unknown, {"resource_type": ""}, name="base"),
    path("metadata", views.metadata, name="metadata"),
    path("<str:resource_type>", views.search, name="search"),
    path("<str:resource_type>/<str:resource_id>", views.read, name="read"),
    re_path(r"^(?P<resource_type>[^/]*)/.+$", views.unknown),
]
