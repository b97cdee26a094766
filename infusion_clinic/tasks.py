from celery import shared_task


@shared_task
def ping(token: str) -> str:
    """A round trip through the broker: proves a worker is consuming (used by tests and ops)."""
    return f"pong:{token}"
