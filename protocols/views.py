from decimal import Decimal

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from infusion_clinic.forms import service_errors_as_message, service_errors_on
from infusion_clinic.permissions import role_required

from . import selectors, services
from .forms import ProtocolVersionForm
from .models import ProtocolVersion

VIEW = "protocols.view_protocolversion"
MANAGE = "protocols.manage_protocols"


@role_required(VIEW)
def library(request):
    families = selectors.library()
    return render(request, "protocols/library.html", {"families": families})


@role_required(VIEW)
def version_detail(request, pk):
    try:
        version, history = selectors.version_with_history(pk=pk)
    except ProtocolVersion.DoesNotExist:
        raise Http404("No such protocol version.") from None
    return render(
        request,
        "protocols/version_detail.html",
        {"version": version, "history": history, "warnings": version.warnings()},
    )


@role_required(MANAGE)
def version_create(request, pk):
    base = get_object_or_404(ProtocolVersion.objects.select_related("protocol__family"), pk=pk)
    if not base.is_current:
        current = base.protocol.current_version()
        messages.info(request, "A new version starts from the current one.")
        return redirect("protocols:version_create", pk=current.pk)
    if request.method == "POST":
        form = ProtocolVersionForm(request.POST, instance=ProtocolVersion(protocol=base.protocol))
        if form.is_valid():
            with service_errors_on(form):
                new = services.create_version(from_version=base, by=request.user, **form.cleaned_data)
                messages.success(
                    request,
                    f"Version {new.version} of {base.protocol.name} is now current; version {base.version} is kept in the history.",
                )
                for warning in new.warnings():
                    messages.warning(request, warning)
                return redirect(new)
    else:
        form = ProtocolVersionForm(
            initial={name: _plain(getattr(base, name)) for name in services.EDITABLE_FIELDS}
        )
    return render(request, "protocols/version_form.html", {"form": form, "base": base})


def _plain(value):
    # 4.500 -> "4.5" in the form: a new version should not look more precise than the old one.
    return format(value.normalize(), "f") if isinstance(value, Decimal) else value


@require_POST
@role_required(MANAGE)
def version_verify(request, pk):
    version = get_object_or_404(ProtocolVersion, pk=pk)
    with service_errors_as_message(request):
        services.mark_verified(version=version, by=request.user)
        messages.success(request, f"{version} marked verified for this clinic.")
    return redirect(version)
