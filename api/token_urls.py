from django.urls import path

from . import token_views

app_name = "api_tokens"

urlpatterns = [
    path("<int:pk>/api-tokens/", token_views.token_list, name="list"),
    path("<int:pk>/api-tokens/<int:token_pk>/revoke/", token_views.token_revoke, name="revoke"),
]
