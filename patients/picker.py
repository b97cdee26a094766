"""The patient picker: a form field that finds a patient as you type instead of listing every patient.

A clinic keeps thousands of patients; a `<select>` of all of them made the booking page a megabyte of
HTML. `PatientField` renders a search box (the field's label points at it) and a `<select>` holding
only the patients worth offering: the one already chosen (from the form's data or initial, e.g.
`?patient=ID`) and the matches of a search the page ran. Without JavaScript the box and its "Search"
button ask the page again (a GET with the box's text, see `PatientPicker.lookup_form`) and the select
narrows to the matches. With JavaScript, `static/js/patient-picker.js` turns the box into an ARIA
combobox whose list comes from `patients:picker` (at most PICKER_LIMIT matches, by name, NHS number
or date of birth: `selectors.search_patients`), and the select into a hidden field holding the chosen
patient's id. Validation is the model choice field's: any patient id is looked up in one query.
"""

from django import forms

from infusion_clinic import bounds
from infusion_clinic.dates import uk_date

from . import selectors
from .models import Patient

PICKER_LIMIT = 10
# The columns a label needs: the search reads no more.
LABEL_FIELDS = ("first_name", "last_name", "date_of_birth", "nhs_number")


def patient_detail_line(patient: Patient) -> str:
    """born 14 Mar 1961 · NHS 943 476 5919: with the name, enough to tell two namesakes apart."""
    parts = [f"born {uk_date(patient.date_of_birth)}"]
    if patient.nhs_number:
        parts.append(f"NHS {patient.nhs_number_display}")
    return " · ".join(parts)


def patient_label(patient: Patient) -> str:
    """SURNAME, First · born 14 Mar 1961 · NHS 943 476 5919"""
    return f"{patient} · {patient_detail_line(patient)}"


class PatientPicker(forms.Widget):
    """A search box and a short `<select>` (see the module docstring). The form decides what is offered
    through `PatientField.offer`; the widget never iterates the field's queryset."""

    template_name = "patients/widgets/patient_picker.html"
    placeholder = "Name, NHS number or DOB"

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.chosen = None  # a Patient, an id, or None
        self.matches: list[Patient] = []
        self.more = False  # more patients matched the search than were offered
        self.query = ""
        self.lookup_form = ""  # id of the GET form the box and button belong to, outside a POST form
        self.lookup_value = ""  # the value of the Search button (`patient_lookup`): which picker asked
        self.refresh_url = ""  # fetched with ?patient=ID after a choice (the fields that depend on it)
        self.refresh_target = ""  # the CSS selector of the element that answer replaces

    def id_for_label(self, id_):
        return f"{id_}_search" if id_ else id_

    def _chosen_patient(self, value):
        chosen = self.chosen if self.chosen is not None else value
        if isinstance(chosen, Patient):
            return chosen
        patient_id = bounds.parse_id(chosen)
        if patient_id is None:
            return None
        for patient in self.matches:
            if patient.pk == patient_id:
                return patient
        return Patient.objects.only(*LABEL_FIELDS).filter(pk=patient_id).first()

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        widget = context["widget"]
        chosen = self._chosen_patient(value)
        offered = ([chosen] if chosen else []) + [p for p in self.matches if not chosen or p.pk != chosen.pk]
        attrs = widget["attrs"]
        base_id = attrs.pop("id", "") or f"id_{name}"
        attrs.pop("required", None)  # the box is not the value: the server says when none is chosen
        widget.update(
            {
                "id": base_id,
                "search_id": self.id_for_label(base_id),
                "list_id": f"{base_id}_results",
                "status_id": f"{base_id}_status",
                "query_name": f"{name}_q",
                "text": str(chosen) if chosen else self.query,
                "chosen_id": f"{base_id}_chosen",
                "chosen_detail": patient_detail_line(chosen) if chosen else "",
                "options": [(p.pk, patient_label(p), bool(chosen and p.pk == chosen.pk)) for p in offered],
                "query": self.query,
                "searched": bool(self.query),
                "more": self.more,
                "placeholder": self.placeholder,
                "lookup_form": self.lookup_form,
                "lookup_value": self.lookup_value,
                "refresh_url": self.refresh_url,
                "refresh_target": self.refresh_target,
                "invalid": "is-invalid" in attrs.get("class", ""),
            }
        )
        return context


class PatientField(bounds.ModelChoiceField):
    widget = PatientPicker
    default_error_messages = {
        "required": "Choose the patient: type part of their name, their NHS number or date of birth, "
        "then pick them from the list.",
        "invalid_choice": "No such patient. Search again and pick them from the list.",
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", Patient.objects.all())
        kwargs.setdefault(
            "help_text", "Type part of the name, the NHS number or the date of birth (14/03/1961)."
        )
        super().__init__(**kwargs)

    def label_from_instance(self, obj):
        return patient_label(obj)

    def offer(self, *, chosen=None, query: str = ""):
        """What the select offers: the chosen patient (a Patient, an id or None), or, when the page ran
        a search for `query` (a lookup without JavaScript), its matches, the only one chosen at once."""
        widget = self.widget
        widget.query = (query or "").strip()
        if widget.query:
            widget.matches, widget.more = selectors.pick_patients(widget.query, limit=PICKER_LIMIT)
            chosen = widget.matches[0] if len(widget.matches) == 1 else None
        widget.chosen = chosen
