"""Reference data a clinic admin keeps: billing's packages, insurers and commissioners; scheduling's
locations, chairs, opening hours, closures and rota shifts.

An app names its kinds once in a `ReferenceData` registry (who may keep them, the templates, where to go
after a save); one set of class-based views lists a kind, adds and edits a row and, for kinds that may
go, deletes one. A view finds its kind from the URL (`<slug:kind>`) or from `as_view(kind_name=...)`.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.contrib import messages
from django.db import models
from django.forms import ModelForm
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.functional import cached_property
from django.views import View
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView, UpdateView

from .permissions import RoleRequiredMixin


@dataclass(frozen=True)
class Kind:
    """One kind of reference data: its model and form, and how its pages speak of it."""

    model: type[models.Model]
    form_class: type[ModelForm]
    label: str  # "insurer": in titles and messages
    saved: str = "Saved the {label}."  # after a save; formatted with `obj` and `label`
    edited: str = ""  # after an edit, when it has more to say than `saved`
    deletable: bool = False  # locations and chairs stay (made inactive) so that past sessions keep them
    # The list page, where the app uses the shared one:
    title: str = ""
    section: str = ""
    columns: tuple[tuple[str, Callable[[models.Model], object]], ...] = ()
    rows: Callable[[], Iterable[models.Model]] | None = None
    empty: str = ""

    @property
    def add_title(self) -> str:
        article = "an" if self.label[0] in "aeiou" else "a"
        return f"Add {article} {self.label}"


@dataclass(frozen=True)
class ReferenceData:
    """One app's reference data: its kinds and who may keep them, its pages and their URL names."""

    kinds: dict[str, Kind]
    permission: str
    form_template: str
    list_url: str  # a URL name, formatted with `kind`: "billing:{kind}_list"
    list_template: str = ""
    edit_url: str = ""  # for the shared list page's Edit links: "billing:{kind}_edit"
    add_url: str = ""
    invalid_status: int = 200  # a refused form is shown again with this status
    initial: Callable[[], dict] = field(default=dict)  # a new row's first values

    def paths(self, kind: str, prefix: str) -> list:
        """The list, add and edit pages of one kind at /<prefix>/, named <kind>_list, _create, _edit."""
        return [
            path(f"{prefix}/", ReferenceListView.as_view(data=self, kind_name=kind), name=f"{kind}_list"),
            path(
                f"{prefix}/add/", ReferenceFormView.as_view(data=self, kind_name=kind), name=f"{kind}_create"
            ),
            path(
                f"{prefix}/<int:pk>/edit/",
                ReferenceFormView.as_view(data=self, kind_name=kind),
                name=f"{kind}_edit",
            ),
        ]


class ReferenceDataMixin(RoleRequiredMixin):
    data: ReferenceData = None
    kind_name = ""

    def get_permission_required(self):
        return (self.data.permission,)

    @cached_property
    def kind(self) -> Kind:
        name = self.kwargs.get("kind", self.kind_name)
        if name not in self.data.kinds:
            raise Http404("Unknown kind")
        self.kind_name = name
        return self.data.kinds[name]

    def list_url(self) -> str:
        return reverse(self.data.list_url.format(kind=self.kind_name))


class ReferenceListView(ReferenceDataMixin, TemplateView):
    def get_template_names(self):
        return [self.data.list_template]

    def get_context_data(self, **kwargs):
        kind, edit_url = self.kind, self.data.edit_url.format(kind=self.kind_name)
        rows = [
            {"cells": [value(obj) for _, value in kind.columns], "edit_url": reverse(edit_url, args=[obj.pk])}
            for obj in (kind.rows() if kind.rows else kind.model.objects.all())
        ]
        return super().get_context_data(
            title=kind.title,
            section=kind.section,
            headings=[heading for heading, _ in kind.columns],
            rows=rows,
            add_url=reverse(self.data.add_url.format(kind=self.kind_name)),
            empty=kind.empty,
            **kwargs,
        )


class ReferenceFormView(ReferenceDataMixin, UpdateView):
    """Add a row (no pk in the URL) or edit one."""

    def get_object(self, queryset=None):
        pk = self.kwargs.get("pk")
        return get_object_or_404(self.kind.model, pk=pk) if pk else None

    def get_form_class(self):
        return self.kind.form_class

    def get_initial(self):
        return {} if self.object else self.data.initial()

    def get_template_names(self):
        return [self.data.form_template]

    def get_context_data(self, **kwargs):
        kind = self.kind
        return super().get_context_data(
            label=kind.label,
            instance=self.object,
            title=f"Edit {kind.label}" if self.object else kind.add_title,
            back=self.list_url(),
            submit="Save",
            section=kind.section,
            **kwargs,
        )

    def form_valid(self, form):
        message = (self.object and self.kind.edited) or self.kind.saved
        self.object = form.save()
        messages.success(self.request, message.format(obj=self.object, label=self.kind.label))
        return redirect(self.list_url())

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=self.data.invalid_status)


@method_decorator(require_POST, name="dispatch")
class ReferenceDeleteView(ReferenceDataMixin, View):
    def post(self, request, *args, kind=None, pk=None):
        if not self.kind.deletable:
            raise Http404(f"A {self.kind.label} is made inactive, not deleted, so that past records keep it.")
        get_object_or_404(self.kind.model, pk=pk).delete()
        messages.success(request, f"Deleted the {self.kind.label}.")
        return redirect(self.list_url())
