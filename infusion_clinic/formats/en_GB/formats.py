# UK dates as clinics write them (25 Nov 2026) and 24-hour times (14:30), Europe/London.
# The one place dates are spelled for people: templates use the |uk_* filters and Python the
# functions of infusion_clinic/dates.py, both of which read the names below. Machine formats (ISO
# dates in URLs, inputs, CSV and FHIR) stay ISO where they are written.
DATE_FORMAT = "j M Y"  # 25 Nov 2026
DATETIME_FORMAT = "j M Y H:i"  # 25 Nov 2026 14:30
TIME_FORMAT = "H:i"  # 14:30
SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
MONTH_DAY_FORMAT = "j F"
YEAR_MONTH_FORMAT = "F Y"  # November 2026
# The clinic's own names (Django reads only its own; infusion_clinic/dates.py reads these).
WEEKDAY_DATE_FORMAT = "D j M Y"  # Wed 25 Nov 2026
WEEKDAY_DATETIME_FORMAT = "D j M Y H:i"  # Wed 25 Nov 2026 14:30
WEEKDAY_DAY_MONTH_FORMAT = "D j M"  # Wed 25 Nov
DAY_MONTH_FORMAT = "j M"  # 25 Nov
SHORT_MONTH_FORMAT = "M Y"  # Nov 2026
DAY_MONTH_TIME_FORMAT = "j M H:i"  # 25 Nov 14:30
LONG_DATE_FORMAT = "l j F Y"  # Wednesday 25 November 2026
LONG_DAY_MONTH_FORMAT = "l j F"  # Wednesday 25 November
FULL_DATE_FORMAT = "j F Y"  # 25 November 2026
FIRST_DAY_OF_WEEK = 1
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y", "%d %b %Y", "%d %B %Y"]
DATETIME_INPUT_FORMATS = [
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y %H:%M:%S",
]
TIME_INPUT_FORMATS = ["%H:%M", "%H:%M:%S"]
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
