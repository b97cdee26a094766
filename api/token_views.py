"""Clinic admins issue and revoke a staff account's API tokens (linked from the staff member's page).
The secret is shown once, on the answer to the issue; only its digest is kept (tokens.py)."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from infusion_clinic.forms import service_errors_as_message, service_errors_on
from infusion_clinic.permissions import role_required

from . import tokens
from .forms import IssueTokenForm
from .models import ApiToken

MANAGE = ("auth.view_user", tokens.MANAGE_PERMISSION)


def _page(request, member, *, form=None, secret=None, issued=None, status=200):
    return render(
        request,
        "api/tokens.html",
        {
            "member": member,
            "tokens": ApiToken.objects.filter(user=member).select_related("created_by", "revoked_by"),
            "form": form or IssueTokenForm(),
            "secret": secret,
            "issued": issued,
        },
        status=status,
    )


@role_required(*MANAGE)
@never_cache
def token_list(request, pk):
    member = get_object_or_404(get_user_model(), pk=pk)
    if request.method != "POST":
        return _page(request, member)
    form = IssueTokenForm(request.POST)
    if form.is_valid():
        with service_errors_on(form):
            token, secret = tokens.issue_token(user=member, by=request.user, **form.cleaned_data)
            return _page(request, member, secret=secret, issued=token)
    return _page(request, member, form=form, status=400)


@require_POST
@role_required(*MANAGE)
def token_revoke(request, pk, token_pk):
    token = get_object_or_404(ApiToken, pk=token_pk, user_id=pk)
    with service_errors_as_message(request):
        tokens.revoke_token(token=token, by=request.user)
        messages.success(request, f"Revoked the token {token.prefix}… “{token.name}”: it no longer works.")
    return redirect("api_tokens:list", pk=pk)
