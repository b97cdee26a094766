from django.urls import path

from . import views

app_name = "billing"

urlpatterns = [
    path("prices/", views.price_list, name="price_list"),
    path("prices/add/", views.price_create, name="price_create"),
    path("prices/<int:pk>/edit/", views.price_edit, name="price_edit"),
    path("prices/<int:pk>/change/", views.price_change, name="price_change"),
    *views.REFERENCE_DATA.paths("package", "packages"),
    path("packages/sell/", views.package_sell, name="package_sell"),
    *views.REFERENCE_DATA.paths("insurer", "insurers"),
    *views.REFERENCE_DATA.paths("commissioner", "commissioners"),
    path("preauthorisations/", views.preauth_list, name="preauth_list"),
    path("preauthorisations/add/", views.preauth_create, name="preauth_create"),
    path("preauthorisations/<int:pk>/edit/", views.preauth_edit, name="preauth_edit"),
    path("invoices/", views.invoice_list, name="invoice_list"),
    path("invoices/review/", views.review_invoice_create, name="review_invoice_create"),
    path("invoices/<int:pk>/", views.invoice_detail, name="invoice_detail"),
    path("invoices/<int:pk>/print/", views.invoice_print, name="invoice_print"),
    path("invoices/<int:pk>/invoice.pdf", views.invoice_print, {"as_pdf": True}, name="invoice_pdf"),
    path("invoices/<int:pk>/edit/", views.invoice_edit, name="invoice_edit"),
    path("invoices/<int:pk>/review-fee/", views.invoice_add_review, name="invoice_add_review"),
    path("invoices/<int:pk>/issue/", views.invoice_issue, name="invoice_issue"),
    path("invoices/<int:pk>/discard/", views.invoice_discard, name="invoice_discard"),
    path("invoices/<int:pk>/paid/", views.invoice_paid, name="invoice_paid"),
    path("invoices/<int:pk>/credit/", views.invoice_credit, name="invoice_credit"),
    # NHS activity is billing's (what is reported to each commissioner instead of an invoice); it keeps
    # its path. The clinic reports moved to reports/ (old /billing/reports/... paths redirect there).
    path("reports/nhs-activity/", views.nhs_activity, name="nhs_activity"),
]
