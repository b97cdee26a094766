"""The dashboard: one section per role the user holds.

Each app contributes the work its roles need to see by adding a provider to SECTION_PROVIDERS
(a function taking request and returning a context dict). A provider runs only for users of its
role, and must keep its queries constant whatever the data size.
"""

from dataclasses import dataclass, field

from .roles import CLINIC_ADMIN, NURSE, RECEPTION, ROLE_KEYS, SPECIALIST


@dataclass
class Section:
    role: str
    key: str
    template: str
    context: dict = field(default_factory=dict)


def _providers():
    # Imported lazily so that apps can add providers without import cycles.
    from importlib import import_module

    providers = {}
    for module_name in (
        "patients.dashboard",
        "protocols.dashboard",
        "sessions.dashboard",
        "billing.dashboard",
    ):
        try:
            module = import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        for role, funcs in getattr(module, "PROVIDERS", {}).items():
            providers.setdefault(role, []).extend(funcs)
    return providers


def sections_for(*, request, roles) -> list[Section]:
    providers = _providers()
    sections = []
    for role in (RECEPTION, NURSE, SPECIALIST, CLINIC_ADMIN):
        if role not in roles:
            continue
        context = {}
        for provider in providers.get(role, []):
            context.update(provider(request))
        key = ROLE_KEYS[role]
        sections.append(Section(role=role, key=key, template=f"dashboard/_{key}.html", context=context))
    return sections
