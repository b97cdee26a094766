"""Staff accounts for clinic admins (auth.*_user, held by the Clinic admin role): thin views over
services.py. Other roles get 403."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from infusion_clinic.forms import service_errors_as_message, service_errors_on
from infusion_clinic.mfa import services as mfa
from infusion_clinic.permissions import role_required
from infusion_clinic.shortcuts import get_or_404

from . import services
from .forms import SecondFactorResetForm, StaffCreateForm, StaffEditForm, StaffFilterForm

VIEW = ("auth.view_user", "auth.change_user")
ADD = ("auth.view_user", "auth.add_user")


def _get(pk):
    return get_or_404(services.staff_member, pk, message="No such staff member.")


def _email_outcome(request, *, member, outcome, created=False):
    """Say plainly whether the email went; when it did not, show the link to hand over instead."""
    if outcome.sent:
        messages.success(
            request,
            f"{'Added ' + services.display_name(member) + '. ' if created else ''}"
            f"A set-password email went to {member.email}.",
        )
        return redirect("staff:detail", pk=member.pk)
    if created:
        messages.success(request, f"Added {services.display_name(member)}.")
    messages.error(request, f"The set-password email was NOT sent. {outcome.problem}")
    return render(request, "staff/email_not_sent.html", {"member": member, "outcome": outcome})


@role_required(*VIEW)
def staff_list(request):
    filter_form = StaffFilterForm(request.GET or None)
    filters = filter_form.filters() if request.GET else {}
    users = list(services.staff_list(**filters))
    return render(
        request,
        "staff/staff_list.html",
        {
            "users": users,
            "filter_form": filter_form,
            "filtered": any(v is not None for v in filters.values()),
        },
    )


@role_required(*ADD)
def staff_create(request):
    form = StaffCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with service_errors_on(form):
            member = services.create_staff_member(by=request.user, **form.cleaned_data)
            outcome = services.send_password_email(
                user=member, request=request, by=request.user, welcome=True
            )
            return _email_outcome(request, member=member, outcome=outcome, created=True)
    return render(request, "staff/staff_form.html", {"form": form, "title": "Add a staff member"})


@role_required(*VIEW)
def staff_detail(request, pk):
    member = _get(pk)
    return render(
        request,
        "staff/staff_detail.html",
        {
            "member": member,
            "role": services.role_of(member),
            "changes": services.recent_changes(user=member),
            "limit": services.CHANGES_SHOWN,
            "is_self": member.pk == request.user.pk,
            "may_manage": services.may_manage(user=member, by=request.user),
            "second_factor": mfa.status_of(member),
        },
    )


@role_required(*VIEW)
def staff_reset_second_factor(request, pk):
    """Confirm with a reason, then remove their authenticator and recovery codes."""
    member = _get(pk)
    form = SecondFactorResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with service_errors_on(form):
            services.reset_second_factor(user=member, by=request.user, **form.cleaned_data)
            messages.success(
                request,
                f"Reset {services.display_name(member)}'s two-factor sign-in: "
                "they set it up again at their next sign-in.",
            )
            return redirect("staff:detail", pk=member.pk)
    return render(
        request,
        "staff/reset_second_factor.html",
        {"form": form, "member": member, "second_factor": mfa.status_of(member)},
    )


@role_required(*VIEW)
def staff_edit(request, pk):
    member = _get(pk)
    if not services.may_manage(user=member, by=request.user):
        messages.error(request, "Only a superuser can change a superuser's account.")
        return redirect("staff:detail", pk=member.pk)
    initial = {
        "first_name": member.first_name,
        "last_name": member.last_name,
        "email": member.email,
        "role": services.role_of(member),
    }
    form = StaffEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        with service_errors_on(form):
            changes = services.update_staff_member(user=member, by=request.user, **form.cleaned_data)
            if changes:
                messages.success(
                    request, f"Saved {services.display_name(member)}: " + "; ".join(changes) + "."
                )
            else:
                messages.info(request, "Nothing changed.")
            return redirect("staff:detail", pk=member.pk)
    return render(
        request,
        "staff/staff_form.html",
        {"form": form, "member": member, "title": f"Edit {services.display_name(member)}"},
    )


SIGN_IN_CHANGES = {
    "deactivate": (services.deactivate_staff_member, "Deactivated {name}: they can no longer sign in."),
    "reactivate": (services.reactivate_staff_member, "Reactivated {name}: they can sign in again."),
}


@require_POST
@role_required(*VIEW)
def staff_sign_in_change(request, pk, change):
    """Deactivate or reactivate an account (the URL says which)."""
    service, done = SIGN_IN_CHANGES[change]
    member = _get(pk)
    with service_errors_as_message(request):
        service(user=member, by=request.user)
        messages.success(request, done.format(name=services.display_name(member)))
    return redirect("staff:detail", pk=member.pk)


@require_POST
@role_required(*VIEW)
def staff_send_password_email(request, pk):
    member = _get(pk)
    if not member.is_active:
        messages.error(request, "The account is deactivated: reactivate it before sending a password email.")
        return redirect("staff:detail", pk=member.pk)
    try:
        outcome = services.send_password_email(user=member, request=request, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("staff:detail", pk=member.pk)
    return _email_outcome(request, member=member, outcome=outcome)
