"""The dashboard: one section per role the user holds, each made of cards from the apps.

An app contributes cards in its own `<app>/dashboard.py`:

    PROVIDERS = {NURSE: [todays_infusions_card]}

    def todays_infusions_card(request) -> Card | None:
        return Card(title="Today's infusions", template="infusion_sessions/dashboard/_today.html",
                    context={...}, order=10)

A provider runs only for users of its role and must keep its queries constant whatever the data
size. Return None to show nothing.
"""

from dataclasses import dataclass, field
from importlib import import_module

from .roles import CLINIC_ADMIN, NURSE, RECEPTION, ROLE_KEYS, SPECIALIST

DASHBOARD_MODULES = (
    "patients.dashboard",
    "followup.dashboard",
    "protocols.dashboard",
    "sessions.dashboard",
    "records.dashboard",
    "billing.dashboard",
)


@dataclass
class Card:
    title: str
    template: str
    context: dict = field(default_factory=dict)
    order: int = 50
    icon: str = "card-list"
    width: str = "col-lg-6"  # Bootstrap column class


@dataclass
class Section:
    role: str
    key: str
    cards: list[Card]
    empty_template: str


def _providers():
    providers = {}
    for module_name in DASHBOARD_MODULES:
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
        cards = [card for provider in providers.get(role, []) if (card := provider(request)) is not None]
        cards.sort(key=lambda c: c.order)
        key = ROLE_KEYS[role]
        sections.append(Section(role=role, key=key, cards=cards, empty_template=f"dashboard/_{key}.html"))
    return sections
