"""Never a 500: each role walks the demo clinic by following the links its pages offer, and every page
is asked again with nonsense in its query string; every form the pages show is posted empty and with
nonsense values. Each answer must be a page, a redirect or a 4xx, never a server error.

The walk samples a few URLs per view name, so it stays quick however big the demo grows."""

import html
import re
from collections import Counter, deque
from urllib.parse import urlencode, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import Resolver404, resolve

pytestmark = pytest.mark.django_db(transaction=False)

HREF = re.compile(r'href="(/[^"#]*)')
FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)
ACTION = re.compile(r'action="([^"]*)"')
METHOD = re.compile(r'method="([^"]*)"', re.I)
HX_POST = re.compile(r'hx-post="([^"]+)"')
FIELD = re.compile(r'<(?:input|select|textarea)\b[^>]*\bname="([^"]+)"', re.I)

# Query parameters that list and report pages read, each given a value that is not what they expect.
NONSENSE = {
    "page": "abc",
    "q": "O'Brien\x00<script>",
    "date": "2026-02-31",
    "day": "31/02/2026",
    "week": "2026-W99",
    "month": "2026-13",
    "year": "twenty",
    "start": "notadate",
    "end": "1999-99-99",
    "from": "yesterday",
    "to": "-1",
    "status": "zzz",
    "condition": "zzz",
    "funding": "zzz",
    "funding_route": "zzz",
    "chair": "abc",
    "location": "abc",
    "protocol": "abc",
    "family": "zzz",
    "version": "abc",
    "period": "zzz",
    "sort": "zzz",
    "order": "-zzz",
    "patient": "abc",
    "referral": "abc",
    "session": "abc",
    "commissioner": "abc",
    "format": "zzz",
    "preference": "zzz",
    "earliest": "31/31/2031",
    "count": "-5",
    "weight": "heavy",
    "dose": "1e999",
    "id": "99999999999999999999",
    "pk": "99999999999999999999",
}
# Values at and beyond the edges: dates Python can hold but not step past, ids beyond 64 bits.
DATE_KEYS = ("date", "day", "week", "start", "end", "from", "to", "earliest", "week_starting", "on")
ID_KEYS = (
    "patient", "referral", "session", "chair", "location", "protocol", "protocol_version", "version",
    "commissioner", "insurer", "package", "id", "pk",
)  # fmt: skip
EXTREMES = [
    {**dict.fromkeys(DATE_KEYS, "0001-01-01"), "month": "0001-01", **dict.fromkeys(ID_KEYS, str(2**64))},
    {**dict.fromkeys(DATE_KEYS, "9999-12-31"), "month": "9999-12", **dict.fromkeys(ID_KEYS, str(2**63))},
]
# Both sign the walker out (the idle sign-out is the form in every staff page's idle warning).
SKIP_VIEWS = {"logout", "audit:idle_sign_out"}
PER_VIEW = 3


def _resolves(path):
    try:
        match = resolve(path)
    except Resolver404:
        return None
    if match.view_name.startswith("admin:") or match.view_name in SKIP_VIEWS:
        return None
    return match


def _walk(client, role, failures):
    visited, per_view, forms_posted = [], Counter(), Counter()
    queue, seen = deque(["/"]), {"/"}
    while queue:
        url = queue.popleft()
        path = urlsplit(url).path
        match = _resolves(path)
        if match is None or per_view[match.view_name] >= PER_VIEW:
            continue
        per_view[match.view_name] += 1
        response = client.get(url)
        if response.status_code >= 500:
            failures.append(f"{role}: GET {url} answered {response.status_code}")
        visited.append(url)
        for query in (NONSENSE, *EXTREMES):
            odd = client.get(f"{path}?{urlencode(query)}")
            if odd.status_code >= 500:
                failures.append(f"{role}: GET {path}?{urlencode(query)} answered {odd.status_code}")
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        body = response.content.decode()
        for link in HREF.findall(body):
            link = html.unescape(link)
            if link not in seen:
                seen.add(link)
                queue.append(link)
        for attrs, inner in FORM.findall(body):
            method = METHOD.search(attrs)
            if not method or method.group(1).lower() != "post":
                continue
            action = ACTION.search(attrs)
            target = html.unescape(action.group(1)) if action and action.group(1) else path
            target_match = _resolves(urlsplit(target).path)
            if target_match is None or forms_posted[target_match.view_name] >= 1:
                continue
            forms_posted[target_match.view_name] += 1
            names = {name for name in FIELD.findall(inner) if name != "csrfmiddlewaretoken"}
            nonsenses = (None, "zzz", "-1", "99999999999999999999", "2026-02-31", "25:99")
            for nonsense in nonsenses + ("0001-01-01", "9999-12-31", str(2**63)):
                data = {} if nonsense is None else dict.fromkeys(names, nonsense)
                answer = client.post(target, data)
                if answer.status_code >= 500:
                    failures.append(f"{role}: POST {target} {data} answered {answer.status_code}")
        for target in HX_POST.findall(body):
            target = html.unescape(target)
            target_match = _resolves(urlsplit(target).path)
            if target_match is None or forms_posted[target_match.view_name] >= 1:
                continue
            forms_posted[target_match.view_name] += 1
            for data in ({}, {"reason": "zzz", "value": "-1"}):
                answer = client.post(target, data, HTTP_HX_REQUEST="true")
                if answer.status_code >= 500:
                    failures.append(f"{role}: hx-post {target} answered {answer.status_code}")
    return visited, per_view, forms_posted


def test_no_page_or_form_answers_a_server_error_for_any_role(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    users = get_user_model().objects
    reached, failures = {}, []
    for role in ("reception", "nurse", "specialist", "admin"):
        client = Client(raise_request_exception=False)  # collect every failure, not just the first
        client.force_login(users.get(username=role))
        visited, per_view, forms_posted = _walk(client, role, failures)
        reached[role] = (len(per_view), sum(forms_posted.values()))
    print("views reached, forms posted per role:", reached)
    assert not failures, "\n".join(failures)
    # The walk really went somewhere: each role reaches a good part of its pages and forms.
    assert reached["reception"][0] >= 10, reached
    assert reached["nurse"][0] >= 10, reached
    assert reached["specialist"][0] >= 15, reached
    assert reached["admin"][0] >= 20, reached
    assert all(forms >= 1 for _, forms in reached.values()), reached


def test_a_nul_character_in_a_search_or_form_is_a_400_page_not_a_server_error(reception_client):
    response = reception_client.get("/patients/", {"q": "Ada\x00"})
    assert response.status_code == 400
    assert "Request not understood" in response.content.decode()
    assert reception_client.post("/patients/", {"q": "\x00"}).status_code == 400


def test_prescribing_with_a_protocol_that_is_not_a_choice_shows_the_field_error(specialist_client):
    from tests import factories

    patient = factories.PatientFactory()
    response = specialist_client.post(f"/patients/{patient.pk}/prescribe/", {"protocol_version": "zzz"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
