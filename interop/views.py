"""The FHIR R4 server under /fhir/: read (`GET /fhir/<type>/<id>`), search (`GET /fhir/<type>?...`) and
the CapabilityStatement (`GET /fhir/metadata`). docs/fhir.md describes it for integrators.

Every answer is FHIR JSON (`application/fhir+json`), errors included: an OperationOutcome with a 4xx
status, never an HTML page or a redirect to the sign-in page, since the caller is a machine. The views
are therefore marked login_not_required and check the caller themselves: an API token (`Authorization:
Bearer <token>`, as on /api/; a bad one 401) or the staff session: anonymous 401, a role
that needs a second factor not yet given 403 (the rule SecondFactorRequiredMiddleware applies to the
pages), a role without the permission of the pages that show the data 403.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse, QueryDict
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from api.tokens import token_for_key
from audit.models import AccessKind
from audit.services import record_access
from infusion_clinic.mfa import services as mfa

from . import capability
from .resources import entry
from .search import PAGING_PARAMS, SearchError, page_links, parse_page
from .selectors import SEARCHES

FHIR_JSON = "application/fhir+json"
# Parameters any request may carry: _format=json (the only format served).
GENERAL_PARAMS = ("_format",)
JSON_FORMATS = ("json", "application/json", "application/fhir+json")
# A machine signs in with an API token (api/tokens.py), as on /api/: `Authorization: Bearer <token>`.
TOKEN_SCHEMES = ("Bearer", "Token")


def answer(data, *, status=200):
    return JsonResponse(
        data, status=status, content_type=FHIR_JSON, json_dumps_params={"ensure_ascii": False}
    )


def operation_outcome(*, code: str, message: str, severity: str = "error") -> dict:
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": severity, "code": code, "diagnostics": message}],
    }


def error(status, code, message):
    return answer(operation_outcome(code=code, message=message), status=status)


def fhir_view(view=None, *, public=False):
    """GET only, never cached, JSON errors, and the session checks described above (none for a
    `public` view: the CapabilityStatement, which holds no patient data)."""
    if view is None:
        return lambda v: fhir_view(v, public=public)

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            response = error(405, "not-supported", "This FHIR server is read-only: only GET is supported.")
            response["Allow"] = "GET, HEAD"
            return response
        header = request.headers.get("Authorization", "")
        token = None
        if header and not public:
            scheme, _, key = header.strip().partition(" ")
            if scheme not in TOKEN_SCHEMES or not key.strip():
                return error(401, "login", "Give the API token as 'Authorization: Bearer <token>'.")
            token = token_for_key(key.strip())
            if token is None:
                return error(401, "login", "Invalid, expired or revoked token.")
            # The token acts as its user, with that user's role (docs/api.md: issued by a clinic admin).
            request.user = token.user
        user = request.user
        if not public and not user.is_authenticated:
            return error(
                401,
                "login",
                "Sign in first: the FHIR server takes an API token (Authorization: Bearer <token>) "
                "or the clinic's staff session.",
            )
        if not public and token is None and mfa.required_for(user) and not user.is_verified():
            return error(
                403,
                "security",
                "Two-factor sign-in is needed: enter a code from your authenticator app first.",
            )
        fmt = request.GET.get("_format")
        if fmt is not None and fmt not in JSON_FORMATS:
            return error(406, "not-supported", "Only JSON is served (_format=json).")
        return view(request, *args, **kwargs)

    return login_not_required(never_cache(wrapped))


def _lenient(request) -> bool:
    """FHIR's `Prefer: handling=lenient` asks the server to ignore parameters it does not know."""
    prefer = request.headers.get("Prefer", "")
    return "handling=lenient" in prefer.replace(" ", "")


def _search_for(resource_type):
    search = SEARCHES.get(resource_type)
    if search is None:
        raise SearchError(
            f"This server has no resource type '{resource_type}' (it serves {', '.join(SEARCHES)}).",
            code="not-supported",
            status=404,
        )
    return search


def _forbidden(spec):
    return error(403, "forbidden", f"Your role may not read {spec.resource_type} resources.")


def _audit(request, *, found, label, obj=None):
    if not found.resources:
        return
    patient_id = next(iter(found.patient_ids)) if len(found.patient_ids) == 1 else None
    record_access(request, kind=AccessKind.FHIR, obj=obj, patient_id=patient_id, label=label)


def _base(request) -> str:
    return request.build_absolute_uri(reverse("interop:base")).rstrip("/")


@fhir_view(public=True)
def metadata(request):
    return answer(capability.capability_statement(base=_base(request), searches=SEARCHES, now=timezone.now()))


@fhir_view
def unknown(request, resource_type, resource_id=None):
    if not resource_type:
        return error(
            404, "not-found", f"Name a resource type: /fhir/<type> ({', '.join(SEARCHES)}) or /fhir/metadata."
        )
    return error(
        404,
        "not-supported",
        f"This server has no resource type '{resource_type}' (it serves {', '.join(SEARCHES)}).",
    )


@fhir_view
def read(request, resource_type, resource_id):
    try:
        spec = _search_for(resource_type)
    except SearchError as exc:
        return error(exc.status, exc.code, exc.message)
    if not request.user.has_perm(spec.permission):
        return _forbidden(spec)
    params = QueryDict(mutable=True)  # a read is by id alone: other parameters play no part
    params.setlist("_id", [resource_id])
    try:
        found = spec.run(params, parse_page({"_count": "1"}))
    except SearchError:
        found = None
    if not found or not found.resources:
        return error(404, "not-found", f"No {resource_type} with id {resource_id}.")
    resource = found.resources[0]
    row = found.rows[0]
    label = f"FHIR read {resource_type}/{resource['id']}"
    _audit(request, found=found, label=label, obj=row)
    return answer(resource)


@fhir_view
def search(request, resource_type):
    try:
        spec = _search_for(resource_type)
    except SearchError as exc:
        return error(exc.status, exc.code, exc.message)
    if not request.user.has_perm(spec.permission):
        return _forbidden(spec)
    known = {*spec.params, *PAGING_PARAMS, *GENERAL_PARAMS}
    unknown_params = sorted(name for name in request.GET if name not in known)
    params = request.GET.copy()
    if unknown_params:
        if not _lenient(request):
            return error(
                400,
                "not-supported",
                f"Unsupported search parameter(s) for {resource_type}: {', '.join(unknown_params)}. "
                f"Supported: {', '.join(sorted(spec.params))}, _count, _offset "
                "(or send 'Prefer: handling=lenient' to have unknown parameters ignored).",
            )
        for name in unknown_params:
            del params[name]
    try:
        page = parse_page(params)
        found = spec.run(params, page)
    except SearchError as exc:
        return error(exc.status, exc.code, exc.message)
    base_url = request.build_absolute_uri(request.path)
    kept = [(k, v) for k, values in params.lists() for v in values if k != "_format"]
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "timestamp": timezone.localtime().isoformat(timespec="seconds"),
        "total": found.total,
        "link": page_links(base_url=base_url, params=kept, page=page, total=found.total),
        "entry": [entry(r, search_mode="match", base=_base(request)) for r in found.resources],
    }
    if not bundle["entry"]:
        del bundle["entry"]
    label = f"FHIR search {resource_type}: {len(found.resources)} of {found.total}"
    _audit(request, found=found, label=label)
    return answer(bundle)
