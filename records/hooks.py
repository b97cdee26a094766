"""What the session record lets the apps above it do, without importing them.

- on_completed: called inside the completion's transaction with keyword argument session, after the
  record is locked. Billing connects its invoice for private and insured sessions.
"""

from collections.abc import Callable

on_completed: list[Callable[..., object]] = []
