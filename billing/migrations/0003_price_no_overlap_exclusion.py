"""PostgreSQL only: price periods of the same protocol family and funding route never overlap.

The price service checks overlaps with a clear message (all that SQLite gets, for the `make run`
demo); this exclusion constraint over a daterange is the database's guarantee under concurrent
edits. It is not declared in Model.Meta because SQLite cannot create it; an empty effective_to
makes an unbounded range, as an open-ended price is.
"""

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateRangeField, RangeOperators
from django.db import migrations
from django.db.models import F, Func, Value

NAME = "price_no_overlapping_periods"


class DateRange(Func):
    function = "daterange"
    output_field = DateRangeField()


def _constraint():
    return ExclusionConstraint(
        name=NAME,
        expressions=[
            (F("protocol_family"), RangeOperators.EQUAL),
            (F("funding_route"), RangeOperators.EQUAL),
            (DateRange(F("effective_from"), F("effective_to"), Value("[]")), RangeOperators.OVERLAPS),
        ],
        violation_error_message="This price period overlaps another for the same protocol family and route.",
    )


def add_constraint(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    schema_editor.add_constraint(apps.get_model("billing", "PriceList"), _constraint())


def drop_constraint(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.remove_constraint(apps.get_model("billing", "PriceList"), _constraint())


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0002_pricing_invoices"),
    ]

    operations = [
        migrations.RunPython(add_constraint, drop_constraint),
    ]
