"""What the patients app lets the apps above it do, without importing them (docs/architecture.md).

- page_fragments: templates that higher apps add to the patient's page, by slot: "patient_detail"
  (a column of the patient page; context `patient`). Follow-up connects the pain diary panel.
"""

page_fragments: dict[str, list[str]] = {"patient_detail": []}
