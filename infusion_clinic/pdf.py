"""PDF copies of the printable pages (session record, GP letter, invoice), drawn by WeasyPrint from the
same templates as the print view, with the print stylesheet.

WeasyPrint reads only the project's own static files: any other address in a page (a remote image, a
link to another server) is refused, so rendering a PDF never reaches the network."""

import logging
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.text import slugify

logger = logging.getLogger(__name__)


def static_file(url: str) -> Path | None:
    """The file behind a /static/ address, from the app folders (development) or STATIC_ROOT."""
    path = unquote(urlsplit(url).path)
    if not path.startswith(settings.STATIC_URL):
        return None
    relative = path[len(settings.STATIC_URL) :]
    found = finders.find(relative)
    if found:
        return Path(found)
    if settings.STATIC_ROOT:
        candidate = (Path(settings.STATIC_ROOT) / relative).resolve()
        if candidate.is_file() and Path(settings.STATIC_ROOT).resolve() in candidate.parents:
            return candidate
    return None


def _fetch_static_only(url, timeout=10, ssl_context=None):
    from weasyprint import default_url_fetcher

    found = static_file(url)
    if found is None:
        raise ValueError(f"PDF rendering reads only the clinic's static files, not {url}")
    return default_url_fetcher(found.as_uri(), timeout=timeout, ssl_context=ssl_context)


def write_pdf(
    template_name: str, context: dict, *, request=None, base_url: str | None = None
) -> bytes | None:
    """A printable template drawn as PDF bytes (for a file to keep, e.g. the subject access export), or
    None where WeasyPrint cannot load Pango. `request` may be a made-up one (a management command)."""
    try:
        from weasyprint import HTML  # imported late: it loads Pango, which only PDF requests need
    except (OSError, ImportError):  # the Pango system library (or WeasyPrint) is missing here
        logger.exception("PDF rendering is unavailable: WeasyPrint could not load Pango")
        return None
    # WeasyPrint sets its logger to WARNING when first imported, over LOGGING; every Bootstrap rule it
    # does not draw (calc(), custom properties) would be logged on each PDF.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    html = render_to_string(template_name, {**context, "as_pdf": True}, request=request)
    if base_url is None:
        base_url = request.build_absolute_uri("/") if request is not None else settings.SITE_URL
    return HTML(string=html, base_url=base_url, url_fetcher=_fetch_static_only).write_pdf()


def render_pdf(request, template_name: str, context: dict, *, filename: str) -> HttpResponse:
    """Render a printable template to a PDF answer, shown inline by the browser."""
    pdf = write_pdf(template_name, context, request=request)
    if pdf is None:
        page = render_to_string("pdf_unavailable.html", request=request)
        return HttpResponse(page, status=503)
    response = HttpResponse(pdf, content_type="application/pdf")
    name = slugify(filename.removesuffix(".pdf")) or "document"
    response["Content-Disposition"] = f'inline; filename="{name}.pdf"'
    return response
