from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from infusion_clinic import bounds
from infusion_clinic.csv_export import table_csv_response
from infusion_clinic.dates import uk_date
from infusion_clinic.pdf import render_pdf
from infusion_clinic.permissions import role_required

from . import selectors, services
from .forms import (
    ChangePriceForm,
    CommissionerForm,
    CreditNoteForm,
    DraftInvoiceForm,
    InsurerForm,
    MarkPaidForm,
    MonthForm,
    PackageForm,
    PreAuthorisationForm,
    PriceListForm,
    ReviewFeeForm,
    ReviewInvoiceForm,
    SellPackageForm,
)
from .models import Commissioner, Insurer, Invoice, InvoiceStatus, Package, PreAuthorisation, PriceList

MANAGE = "billing.manage_prices"


def _add_errors(form, exc: ValidationError):
    """Put a service's field-keyed errors next to the fields; anything else at the top of the form."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _form_page(request, *, form, title, back, intro="", submit="Save", section="prices"):
    return render(
        request,
        "billing/form.html",
        {"form": form, "title": title, "back": back, "intro": intro, "submit": submit, "section": section},
    )


# --- prices, packages, insurers, commissioners (clinic admins) ---------------------------------------


@role_required(MANAGE)
def price_list(request):
    return render(request, "billing/prices.html", {"prices": selectors.price_lists(), "section": "prices"})


@role_required(MANAGE)
def price_create(request):
    form = PriceListForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            price = services.create_price(created_by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(
                request,
                f"Price added: {price.protocol_family} {price.get_funding_route_display().lower()}"
                f" GBP {price.session_price} a session from {uk_date(price.effective_from)}.",
            )
            return redirect("billing:price_list")
    return _form_page(
        request,
        form=form,
        title="Add a price",
        back=reverse("billing:price_list"),
        intro="A price applies to sessions on and between its dates. Invoices keep the price "
        "they were created with.",
    )


@role_required(MANAGE)
def price_edit(request, pk):
    price = get_object_or_404(PriceList.objects.select_related("protocol_family"), pk=pk)
    form = PriceListForm(request.POST or None, instance=price)
    if request.method == "POST" and form.is_valid():
        fields = {k: v for k, v in form.cleaned_data.items() if k not in ("protocol_family", "funding_route")}
        try:
            services.update_price(price=price, **fields)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(
                request, "Price saved. Existing invoices keep the amounts they were created with."
            )
            return redirect("billing:price_list")
    return _form_page(request, form=form, title=f"Edit price: {price}", back=reverse("billing:price_list"))


@role_required(MANAGE)
def price_change(request, pk):
    price = get_object_or_404(PriceList.objects.select_related("protocol_family"), pk=pk)
    form = ChangePriceForm(
        request.POST or None, initial={"session_price": price.session_price, "review_fee": price.review_fee}
    )
    if request.method == "POST" and form.is_valid():
        try:
            new = services.change_price_from(price=price, created_by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(
                request,
                f"New price GBP {new.session_price} applies from {uk_date(new.effective_from)}.",
            )
            return redirect("billing:price_list")
    return _form_page(
        request,
        form=form,
        title=f"Change the {price.protocol_family} {price.get_funding_route_display().lower()} price",
        back=reverse("billing:price_list"),
        submit="Change price",
        intro=f"The current price (GBP {price.session_price} a session, from {uk_date(price.effective_from)}) "
        "ends the day before the new one starts.",
    )


def _setup_list(request, *, title, section, headings, rows, add_url, empty):
    return render(
        request,
        "billing/setup_list.html",
        {
            "title": title,
            "section": section,
            "headings": headings,
            "rows": rows,
            "add_url": add_url,
            "empty": empty,
        },
    )


def _model_form(request, *, form_class, instance, title, back, section, saved):
    form = form_class(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        obj = form.save()
        messages.success(request, saved.format(obj=obj))
        return redirect(back)
    return _form_page(request, form=form, title=title, back=back, section=section)


@role_required(MANAGE)
def package_list(request):
    rows = [
        {
            "cells": [
                p.name,
                p.protocol_family,
                p.get_funding_route_display(),
                p.sessions_included,
                p.reviews_included,
                f"GBP {p.price}",
                "Offered" if p.is_active else "Withdrawn",
            ],
            "edit_url": reverse("billing:package_edit", args=[p.pk]),
        }
        for p in selectors.packages()
    ]
    return _setup_list(
        request,
        title="Packages",
        section="packages",
        headings=["Package", "Protocol family", "Route", "Sessions", "Reviews", "Price", "Status"],
        rows=rows,
        add_url=reverse("billing:package_create"),
        empty="No packages yet. Add one, e.g. a course of three ketamine infusions at a set price.",
    )


@role_required(MANAGE)
def package_create(request):
    return _model_form(
        request,
        form_class=PackageForm,
        instance=None,
        title="Add a package",
        back=reverse("billing:package_list"),
        section="packages",
        saved="Package {obj} saved.",
    )


@role_required(MANAGE)
def package_edit(request, pk):
    return _model_form(
        request,
        form_class=PackageForm,
        instance=get_object_or_404(Package, pk=pk),
        title="Edit package",
        back=reverse("billing:package_list"),
        section="packages",
        saved="Package {obj} saved. Packages already sold keep their invoice.",
    )


@role_required(MANAGE)
def insurer_list(request):
    rows = [
        {
            "cells": [i.name, i.email or "—", "Active" if i.is_active else "Inactive"],
            "edit_url": reverse("billing:insurer_edit", args=[i.pk]),
        }
        for i in Insurer.objects.all()
    ]
    return _setup_list(
        request,
        title="Insurers",
        section="insurers",
        headings=["Insurer", "Claims email", "Status"],
        rows=rows,
        add_url=reverse("billing:insurer_create"),
        empty="No insurers yet. Add the insurers your insured patients are covered by.",
    )


@role_required(MANAGE)
def insurer_create(request):
    return _model_form(
        request,
        form_class=InsurerForm,
        instance=None,
        title="Add an insurer",
        back=reverse("billing:insurer_list"),
        section="insurers",
        saved="Insurer {obj} saved.",
    )


@role_required(MANAGE)
def insurer_edit(request, pk):
    return _model_form(
        request,
        form_class=InsurerForm,
        instance=get_object_or_404(Insurer, pk=pk),
        title="Edit insurer",
        back=reverse("billing:insurer_list"),
        section="insurers",
        saved="Insurer {obj} saved.",
    )


@role_required(MANAGE)
def commissioner_list(request):
    rows = [
        {
            "cells": [c.name, c.ods_code, "Active" if c.is_active else "Inactive"],
            "edit_url": reverse("billing:commissioner_edit", args=[c.pk]),
        }
        for c in Commissioner.objects.all()
    ]
    return _setup_list(
        request,
        title="Commissioners (ICBs)",
        section="commissioners",
        headings=["Integrated Care Board", "ODS code", "Status"],
        rows=rows,
        add_url=reverse("billing:commissioner_create"),
        empty="No commissioners yet. Add the Integrated Care Boards that fund your NHS patients.",
    )


@role_required(MANAGE)
def commissioner_create(request):
    return _model_form(
        request,
        form_class=CommissionerForm,
        instance=None,
        title="Add a commissioner",
        back=reverse("billing:commissioner_list"),
        section="commissioners",
        saved="Commissioner {obj} saved.",
    )


@role_required(MANAGE)
def commissioner_edit(request, pk):
    return _model_form(
        request,
        form_class=CommissionerForm,
        instance=get_object_or_404(Commissioner, pk=pk),
        title="Edit commissioner",
        back=reverse("billing:commissioner_list"),
        section="commissioners",
        saved="Commissioner {obj} saved.",
    )


# --- pre-authorisations (reception and clinic admins) -------------------------------------------------


@role_required("billing.view_preauthorisation")
def preauth_list(request):
    referral_id = bounds.parse_id(request.GET.get("referral"))
    page = Paginator(selectors.preauthorisations(referral_id=referral_id), 50).get_page(
        request.GET.get("page")
    )
    return render(request, "billing/preauth_list.html", {"page": page, "referral_id": referral_id})


def _preauth_form(request, *, instance, title):
    initial = {}
    if instance is None and (ref := bounds.parse_id(request.GET.get("referral"))):
        initial["referral"] = ref
    form = PreAuthorisationForm(request.POST or None, instance=instance, initial=initial)
    if request.method == "POST" and form.is_valid():
        preauth = form.instance
        if not preauth.pk:
            preauth.created_by = request.user
        try:
            preauth = services.save_preauthorisation(preauth=preauth)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(
                request,
                f"Pre-authorisation {preauth.preauth_number} saved: "
                f"{preauth.sessions_authorised} sessions authorised.",
            )
            return redirect(reverse("billing:preauth_list") + f"?referral={preauth.referral_id}")
    return _form_page(
        request,
        form=form,
        title=title,
        back=reverse("billing:preauth_list"),
        section="preauth",
        intro="Insured bookings need sessions left on a current pre-authorisation. "
        "Completing a session uses one.",
    )


@role_required("billing.add_preauthorisation")
def preauth_create(request):
    return _preauth_form(request, instance=None, title="Record a pre-authorisation")


@role_required("billing.change_preauthorisation")
def preauth_edit(request, pk):
    return _preauth_form(
        request, instance=get_object_or_404(PreAuthorisation, pk=pk), title="Edit pre-authorisation"
    )


# --- invoices ----------------------------------------------------------------------------------------


@role_required("billing.view_invoice")
def invoice_list(request):
    status = request.GET.get("status", "")
    if status not in InvoiceStatus.values:
        status = ""
    query = request.GET.get("q", "").strip()
    page = Paginator(selectors.invoices(status=status, query=query), 50).get_page(request.GET.get("page"))
    counts = selectors.invoice_counts()
    return render(
        request,
        "billing/invoice_list.html",
        {
            "page": page,
            "status": status,
            "query": query,
            "statuses": InvoiceStatus.choices,
            "counts": counts,
        },
    )


def _invoice(pk):
    try:
        return selectors.invoice_detail(pk)
    except Invoice.DoesNotExist:
        from django.http import Http404

        raise Http404("No such invoice") from None


def _invoice_page(request, invoice, *, credit_form=None):
    return render(
        request,
        "billing/invoice_detail.html",
        {
            "invoice": invoice,
            "paid_form": MarkPaidForm(),
            "credit_form": credit_form or CreditNoteForm(invoice=invoice),
        },
    )


@role_required("billing.view_invoice")
def invoice_detail(request, pk):
    return _invoice_page(request, _invoice(pk))


@role_required("billing.view_invoice")
def invoice_print(request, pk, as_pdf=False):
    invoice = _invoice(pk)
    if as_pdf:
        return render_pdf(
            request, "billing/invoice_print.html", {"invoice": invoice}, filename=invoice.display_number
        )
    return render(request, "billing/invoice_print.html", {"invoice": invoice})


@role_required("billing.change_invoice")
def invoice_edit(request, pk):
    invoice = _invoice(pk)
    if not invoice.is_editable:
        messages.error(
            request,
            f"{invoice.display_number} is {invoice.get_status_display().lower()}: it cannot be "
            "edited. An issued invoice is corrected with a credit note.",
        )
        return redirect(invoice)
    form = DraftInvoiceForm(request.POST or None, invoice=invoice)
    session_line = next((line for line in invoice.lines.all() if line.session_id), None)
    family_id = session_line.session.protocol_version.protocol.family_id if session_line else None
    review_form = ReviewFeeForm(prefix="review", initial={"protocol_family": family_id})
    if request.method == "POST" and form.is_valid():
        try:
            services.update_draft(
                invoice=invoice, notes=form.cleaned_data["notes"], line_prices=form.line_prices()
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, "Draft saved.")
            return redirect(invoice)
    return render(
        request, "billing/invoice_edit.html", {"invoice": invoice, "form": form, "review_form": review_form}
    )


@require_POST
@role_required("billing.change_invoice")
def invoice_add_review(request, pk):
    invoice = get_object_or_404(Invoice, pk=pk)
    form = ReviewFeeForm(request.POST, prefix="review")
    if form.is_valid():
        try:
            services.add_review_fee(invoice=invoice, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "Follow-up review fee added.")
    else:
        messages.error(request, "Choose the protocol family and the review date.")
    return redirect("billing:invoice_edit", pk=pk) if invoice.is_editable else redirect(invoice)


def _action(request, pk, func, success, **kwargs):
    invoice = get_object_or_404(Invoice, pk=pk)
    try:
        result = func(invoice=invoice, **kwargs)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(invoice)
    messages.success(request, success.format(invoice=result))
    return redirect(result)


@require_POST
@role_required("billing.change_invoice")
def invoice_issue(request, pk):
    return _action(
        request, pk, services.issue_invoice, "Issued {invoice.display_number}.", issued_by=request.user
    )


@require_POST
@role_required("billing.change_invoice")
def invoice_discard(request, pk):
    return _action(request, pk, services.discard_draft, "Draft discarded (it never had a number).")


@require_POST
@role_required("billing.change_invoice")
def invoice_paid(request, pk):
    form = MarkPaidForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Enter the date the payment arrived.")
        return redirect("billing:invoice_detail", pk=pk)
    return _action(
        request, pk, services.mark_paid, "{invoice.display_number} marked paid.", **form.cleaned_data
    )


@require_POST
@role_required("billing.change_invoice")
def invoice_credit(request, pk):
    invoice = _invoice(pk)
    form = CreditNoteForm(request.POST, invoice=invoice)
    if form.is_valid():
        try:
            note = services.credit_invoice(invoice=invoice, issued_by=request.user, **form.service_kwargs())
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, f"Credit note {note.display_number} issued for £{note.total:,.2f}.")
            return redirect(note)
    # Shown again with the message next to the field; nothing was saved.
    return _invoice_page(request, _invoice(pk), credit_form=form)


@role_required("billing.add_invoice")
def package_sell(request):
    form = SellPackageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        referral = form.cleaned_data["referral"]
        try:
            invoice = services.sell_package(
                patient=referral.patient,
                package=form.cleaned_data["package"],
                referral=referral,
                created_by=request.user,
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, "Package invoice drafted. Issue it when the patient is ready to pay.")
            return redirect(invoice)
    return _form_page(
        request,
        form=form,
        title="Sell a package",
        back=reverse("billing:invoice_list"),
        section="invoices",
        submit="Draft the invoice",
        intro="The package's sessions are covered by this one invoice; they are not invoiced again.",
    )


@role_required("billing.add_invoice")
def review_invoice_create(request):
    form = ReviewInvoiceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invoice = services.invoice_review(created_by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, "Follow-up review invoice drafted.")
            return redirect(invoice)
    return _form_page(
        request,
        form=form,
        title="Invoice a follow-up review",
        back=reverse("billing:invoice_list"),
        section="invoices",
        submit="Draft the invoice",
        intro="At the review fee in force on the review date for the protocol family and the referral's route.",
    )


# --- NHS activity per commissioner (the clinic reports are in reports/) ------------------------------


@role_required("billing.view_reports")
def nhs_activity(request):
    form = MonthForm(request.GET)
    if not form.is_valid():
        return render(request, "billing/nhs_activity.html", {"form": form, "result": None}, status=400)
    data = form.cleaned_data
    month = data["month"]
    if not request.GET:
        form = MonthForm(initial={"month": f"{month:%Y-%m}"})
    commissioner = data.get("commissioner")
    result = selectors.nhs_activity(month, commissioner)
    if request.GET.get("format") == "csv":
        code = commissioner.ods_code if commissioner else "all"
        return table_csv_response(
            f"nhs-activity-{code}-{month:%Y-%m}", result.columns, result.rows, result.totals
        )
    query = f"month={month:%Y-%m}" + (f"&commissioner={commissioner.pk}" if commissioner else "")
    return render(
        request,
        "billing/nhs_activity.html",
        {
            "form": form,
            "result": result,
            "month": month,
            "commissioner": commissioner,
            "csv_query": query + "&format=csv",
        },
    )
