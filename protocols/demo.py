"""Demo data of the protocols app: the example library (also seeded by migration; idempotent)."""

from .seed import seed_protocol_library


def seed(*, users, stdout):
    created = seed_protocol_library()
    stdout.write(f"Protocol library: {created} example version(s) created (example defaults: verify locally).")
