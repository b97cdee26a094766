from datetime import UTC, date, datetime, time

from django.template import Context, Template

from infusion_clinic.dates import uk_date, uk_datetime, uk_format, uk_time, uk_weekday, uk_weekday_datetime

SUMMER = datetime(2026, 7, 5, 13, 30, tzinfo=UTC)  # 14:30 in London (BST)
WINTER = datetime(2026, 11, 25, 14, 30, tzinfo=UTC)  # 14:30 in London (GMT)


def test_it_writes_dates_and_times_the_uk_way_in_london_time():
    assert uk_date(date(2026, 11, 25)) == "25 Nov 2026"
    assert uk_date(date(2026, 11, 5)) == "5 Nov 2026"
    assert uk_weekday(WINTER) == "Wed 25 Nov 2026"
    assert uk_time(SUMMER) == "14:30"
    assert uk_time(time(9, 5)) == "09:05"
    assert uk_datetime(SUMMER) == "5 Jul 2026 14:30"
    assert uk_weekday_datetime(WINTER) == "Wed 25 Nov 2026 14:30"
    assert uk_format(WINTER, "day_month") == "25 Nov"


def test_the_template_filters_say_the_same_and_nothing_for_none():
    rendered = Template(
        "{{ d|uk_date }}|{{ d|uk_weekday }}|{{ s|uk_time }}|{{ s|uk_datetime }}|{{ none|uk_date }}|{{ d|uk_long_date }}"
    ).render(Context({"d": WINTER, "s": SUMMER, "none": None}))
    assert rendered == "25 Nov 2026|Wed 25 Nov 2026|14:30|5 Jul 2026 14:30||Wednesday 25 November 2026"


def test_a_list_table_shows_its_rows_in_a_card_or_the_empty_state():
    page = Template(
        '{% list_table rows icon="inbox" testid="t" %}<tbody>{% for r in rows %}<tr><td>{{ r }}</td></tr>'
        "{% endfor %}</tbody>{% empty %}<p>Nothing yet.</p>{% endlist_table %}"
    )
    full = page.render(Context({"rows": ["a"]}))
    assert 'class="card shadow-sm"' in full and 'data-testid="t"' in full and "<td>a</td>" in full
    empty = page.render(Context({"rows": []}))
    assert (
        'class="empty-state"' in empty
        and "bi-inbox" in empty
        and "Nothing yet." in empty
        and "<table" not in empty
    )
