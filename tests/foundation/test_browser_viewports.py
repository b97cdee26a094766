"""The chairside pages at a desk, on a tablet and on a phone: each role's pages in the seeded demo
clinic at 1366x800, 768x1024 and 390x844, with a full-page screenshot of each under tests/artifacts/
(viewport-<role>-<page>-<width>.png) and no element wider than the screen or cut off in its box
unless it sits in a scroller that says so."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from demo.day import chart_vitals
from followup.diaries import create_diary_link, link_path
from patients.models import Patient
from records.models import VitalSigns
from sessions.models import InfusionSession, SessionStatus
from tests.conftest import login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = [(1366, 800), (768, 1024), (390, 844)]

# Every visible element whose box reaches past the viewport, or whose content is wider than its box,
# unless it sits in a horizontal scroller: such a scroller, when it does scroll, must show a hint
# (.scroll-cue-hint inside [data-scroll-cue], clinic.css and js/scroll-cue.js). Visually hidden text (1px boxes) and inline boxes (no width of their own) are
# left out; an input is checked too, so "400" cut to "40" counts.
OVERFLOW_JS = """
() => {
  const width = document.documentElement.clientWidth;
  const scrolls = (el) => ['auto', 'scroll'].includes(getComputedStyle(el).overflowX);
  const inScroller = (el) => {
    for (let p = el.parentElement; p; p = p.parentElement) { if (scrolls(p)) return p; }
    return null;
  };
  const describe = (el) => {
    const id = el.id ? '#' + el.id : '';
    const cls = typeof el.className === 'string' && el.className ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
    const text = (el.value || el.innerText || '').trim().replace(/\\s+/g, ' ').slice(0, 40);
    return `${el.tagName.toLowerCase()}${id}${cls} "${text}"`;
  };
  const problems = [];
  for (const el of document.body.querySelectorAll('*')) {
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden' || !el.getClientRects().length) continue;
    if (['SCRIPT', 'STYLE', 'OPTION', 'svg', 'path'].includes(el.tagName)) continue;
    const rect = el.getBoundingClientRect();
    if (rect.width <= 1 || rect.height <= 1) continue;
    const scroller = inScroller(el);
    if (scroller) {
      const cue = scroller.closest('[data-scroll-cue]');
      const hint = cue && cue.querySelector('.scroll-cue-hint');
      if (scroller.scrollWidth > scroller.clientWidth + 1 && !(hint && hint.checkVisibility())) {
        problems.push('scrolls sideways without a cue: ' + describe(scroller));
      }
      continue;
    }
    if (rect.right > width + 1 || rect.left < -1) {
      problems.push(`past the screen edge (${Math.round(rect.left)}-${Math.round(rect.right)} of ${width}): ` + describe(el));
      continue;
    }
    // A box that clips (overflow hidden, an ellipsis, a form field) cuts what does not fit; one that
    // lets it spill is flagged too, except for Bootstrap's rows, whose gutters reach into the
    // parent's padding by design.
    const clips = ['hidden', 'clip'].includes(style.overflowX) || ['INPUT', 'TEXTAREA'].includes(el.tagName);
    const gutters = [...el.children].some((child) => child.classList.contains('row'));
    if (style.display !== 'inline' && !scrolls(el) && el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1 && (clips || !gutters)) {
      problems.push(`content cut (${el.scrollWidth} in ${el.clientWidth}): ` + describe(el));
    }
  }
  if (document.documentElement.scrollWidth > width) problems.push(`page scrolls sideways: ${document.documentElement.scrollWidth} > ${width}`);
  return [...new Set(problems)];
}
"""


def check_sizes(page, role, name, path, prepare=None):
    """Visit `path` at each size, screenshot it and return what overflows, by size."""
    found = []
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        response = page.goto(path)
        assert response.status == 200, f"{path}: {response.status}"
        page.wait_for_load_state("load")
        if prepare:
            prepare(page)
        shot = screenshot(page, f"viewport-{role}-{name}-{width}")
        assert shot.stat().st_size > 0
        found += [f"{role} {name} at {width}: {problem}" for problem in page.evaluate(OVERFLOW_JS)]
    return found


def _record_with_an_alert(nurse):
    """The demo's infusion in progress, with one more observation that raises the NEWS2 alert."""
    session = InfusionSession.objects.filter(
        start__date=timezone.localdate(), status=SessionStatus.IN_PROGRESS
    ).first()
    last = VitalSigns.objects.filter(session=session).order_by("-observed_at").first()
    chart_vitals(
        session=session,
        by=nurse,
        observed_at=last.observed_at + timedelta(minutes=5),
        values=(96, 58, 118, 23, 94, "37.9", 6),
    )
    return session


def _chart_a_wrong_systolic(page):
    """A systolic of 400 typed into the charting row: refused next to the box, the value still readable."""
    page.locator("#vitals-entry [data-first-field]").fill("400")
    page.get_by_test_id("chart-observation").click()
    expect(page.locator("#vitals-entry .invalid-feedback").first).to_be_visible()


def test_the_chairside_pages_fit_a_desk_a_tablet_and_a_phone(page, live_server, clinic_morning_ticking):
    page.clock.install(time=clinic_morning_ticking)
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    session = _record_with_an_alert(get_user_model().objects.get(username="nurse"))
    signoff = InfusionSession.objects.filter(status=SessionStatus.COMPLETED).order_by("-start").first()
    patient = Patient.objects.order_by("pk").first()
    diary = link_path(create_diary_link(patient=patient, created_by=None))
    problems = []

    login(page, "reception", "reception-demo")
    problems += check_sizes(page, "reception", "dashboard", "/")
    problems += check_sizes(page, "reception", "board", "/sessions/")
    problems += check_sizes(page, "reception", "book", "/sessions/book/")
    page.context.clear_cookies()

    login(page, "nurse", "nurse-demo")
    problems += check_sizes(page, "nurse", "dashboard", "/")
    problems += check_sizes(page, "nurse", "board", "/sessions/")
    problems += check_sizes(page, "nurse", "record", f"/sessions/{session.pk}/record/")
    expect(page.get_by_test_id("vitals-row").last).to_contain_text("118")
    problems += check_sizes(
        page, "nurse", "record-error", f"/sessions/{session.pk}/record/", _chart_a_wrong_systolic
    )
    page.context.clear_cookies()

    login(page, "specialist", "specialist-demo")
    problems += check_sizes(page, "specialist", "signoff", f"/sessions/{signoff.pk}/record/")
    problems += check_sizes(
        page, "specialist", "diary-entry", f"/patients/follow-up/diaries/{patient.pk}/entry/"
    )
    page.context.clear_cookies()

    problems += check_sizes(page, "patient", "diary", diary)

    assert not problems, "\n".join(problems)
