from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from audit.models import AccessKind
from audit.services import record_access
from infusion_clinic import bounds
from infusion_clinic.csv_export import table_csv_response
from infusion_clinic.dates import uk_date
from infusion_clinic.forms import service_errors_as_message, service_errors_on
from infusion_clinic.pdf import render_pdf
from infusion_clinic.permissions import role_required
from infusion_clinic.reference_data import Kind, ReferenceData
from infusion_clinic.shortcuts import get_or_404

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
        with service_errors_on(form):
            price = services.create_price(created_by=request.user, **form.cleaned_data)
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
        with service_errors_on(form):
            services.update_price(price=price, **fields)
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
        with service_errors_on(form):
            new = services.change_price_from(price=price, created_by=request.user, **form.cleaned_data)
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


def _active(obj) -> str:
    return "Active" if obj.is_active else "Inactive"


REFERENCE_DATA = ReferenceData(
    permission=MANAGE,
    form_template="billing/form.html",
    list_template="billing/setup_list.html",
    list_url="billing:{kind}_list",
    add_url="billing:{kind}_create",
    edit_url="billing:{kind}_edit",
    kinds={
        "package": Kind(
            model=Package,
            form_class=PackageForm,
            label="package",
            saved="Package {obj} saved.",
            edited="Package {obj} saved. Packages already sold keep their invoice.",
            title="Packages",
            section="packages",
            columns=(
                ("Package", lambda p: p.name),
                ("Protocol family", lambda p: p.protocol_family),
                ("Route", lambda p: p.get_funding_route_display()),
                ("Sessions", lambda p: p.sessions_included),
                ("Reviews", lambda p: p.reviews_included),
                ("Price", lambda p: f"GBP {p.price}"),
                ("Status", lambda p: "Offered" if p.is_active else "Withdrawn"),
            ),
            rows=selectors.packages,
            empty="No packages yet. Add one, e.g. a course of three ketamine infusions at a set price.",
        ),
        "insurer": Kind(
            model=Insurer,
            form_class=InsurerForm,
            label="insurer",
            saved="Insurer {obj} saved.",
            title="Insurers",
            section="insurers",
            columns=(
                ("Insurer", lambda i: i.name),
                ("Claims email", lambda i: i.email or "—"),
                ("Status", _active),
            ),
            empty="No insurers yet. Add the insurers your insured patients are covered by.",
        ),
        "commissioner": Kind(
            model=Commissioner,
            form_class=CommissionerForm,
            label="commissioner",
            saved="Commissioner {obj} saved.",
            title="Commissioners (ICBs)",
            section="commissioners",
            columns=(
                ("Integrated Care Board", lambda c: c.name),
                ("ODS code", lambda c: c.ods_code),
                ("Status", _active),
            ),
            empty="No commissioners yet. Add the Integrated Care Boards that fund your NHS patients.",
        ),
    },
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
        with service_errors_on(form):
            preauth = services.save_preauthorisation(preauth=preauth)
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
    page.object_list = selectors.with_credited_sums(page.object_list)
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
    return get_or_404(selectors.invoice_detail, pk, message="No such invoice")


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
    invoice = _invoice(pk)
    _invoice_opened(request, invoice)
    return _invoice_page(request, invoice)


def _invoice_opened(request, invoice, how=""):
    label = f"Invoice {invoice.display_number}{how}: {invoice.patient.full_name}"
    record_access(request, kind=AccessKind.INVOICE, obj=invoice, patient_id=invoice.patient_id, label=label)


@role_required("billing.view_invoice")
def invoice_print(request, pk, as_pdf=False):
    invoice = _invoice(pk)
    _invoice_opened(request, invoice, " (PDF)" if as_pdf else " (print)")
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
        with service_errors_on(form):
            services.update_draft(
                invoice=invoice, notes=form.cleaned_data["notes"], line_prices=form.line_prices()
            )
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
        with service_errors_as_message(request):
            services.add_review_fee(invoice=invoice, **form.cleaned_data)
            messages.success(request, "Follow-up review fee added.")
    else:
        messages.error(request, "Choose the protocol family and the review date.")
    return redirect("billing:invoice_edit", pk=pk) if invoice.is_editable else redirect(invoice)


def _action(request, pk, func, success, **kwargs):
    invoice = get_object_or_404(Invoice, pk=pk)
    with service_errors_as_message(request):
        result = func(invoice=invoice, **kwargs)
        messages.success(request, success.format(invoice=result))
        return redirect(result)
    return redirect(invoice)


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
        with service_errors_on(form):
            note = services.credit_invoice(invoice=invoice, issued_by=request.user, **form.service_kwargs())
            messages.success(request, f"Credit note {note.display_number} issued for £{note.total:,.2f}.")
            return redirect(note)
    # Shown again with the message next to the field; nothing was saved.
    return _invoice_page(request, _invoice(pk), credit_form=form)


def _draft_invoice_page(request, form, *, draft, drafted, title, intro):
    """Sell a package or invoice a review: `draft(**form data)` drafts the invoice."""
    if request.method == "POST" and form.is_valid():
        with service_errors_on(form):
            invoice = draft(**form.cleaned_data)
            messages.success(request, drafted)
            return redirect(invoice)
    return _form_page(
        request,
        form=form,
        title=title,
        back=reverse("billing:invoice_list"),
        section="invoices",
        submit="Draft the invoice",
        intro=intro,
    )


@role_required("billing.add_invoice")
def package_sell(request):
    return _draft_invoice_page(
        request,
        SellPackageForm(request.POST or None),
        draft=lambda referral, package: services.sell_package(
            patient=referral.patient, package=package, referral=referral, created_by=request.user
        ),
        drafted="Package invoice drafted. Issue it when the patient is ready to pay.",
        title="Sell a package",
        intro="The package's sessions are covered by this one invoice; they are not invoiced again.",
    )


@role_required("billing.add_invoice")
def review_invoice_create(request):
    return _draft_invoice_page(
        request,
        ReviewInvoiceForm(request.POST or None),
        draft=lambda **data: services.invoice_review(created_by=request.user, **data),
        drafted="Follow-up review invoice drafted.",
        title="Invoice a follow-up review",
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
        record_access(request, kind=AccessKind.EXPORT, label=f"NHS activity CSV {code} {month:%Y-%m}")
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
