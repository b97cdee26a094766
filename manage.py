#!/usr/bin/env python
import os
import sys

# Commands that only read or write code and schema: they neither serve a request nor sign anything,
# so they may run on a fresh checkout without SECRET_KEY (e.g. `makemigrations --check` in a hook).
# Serving (runserver, gunicorn, Celery) and `check --deploy` still refuse a missing key.
KEYLESS_COMMANDS = {"makemigrations", "showmigrations", "sqlmigrate", "help", "version"}


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "infusion_clinic.settings")
    command = sys.argv[1] if len(sys.argv) > 1 else "help"
    if command in KEYLESS_COMMANDS or command.startswith("-"):
        os.environ.setdefault("INFUSION_CLINIC_KEYLESS_COMMAND", command)
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
