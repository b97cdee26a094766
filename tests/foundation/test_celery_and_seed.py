import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from infusion_clinic.tasks import ping


def test_a_task_travels_through_redis_to_a_real_worker(celery_worker_process):
    result = ping.apply_async(args=["abc"], queue=celery_worker_process.queue_for_test)
    assert result.get(timeout=20) == "pong:abc"
    assert result.successful()


def test_tasks_run_eagerly_in_tests_without_a_worker():
    assert ping.delay("x").get(timeout=1) == "pong:x"


@pytest.mark.django_db
def test_seed_demo_creates_a_user_per_role_and_is_idempotent(capsys):
    from patients.models import Patient
    from sessions.models import Chair

    call_command("seed_demo")
    out = capsys.readouterr().out
    counts = (get_user_model().objects.count(), Chair.objects.count(), Patient.objects.count())
    call_command("seed_demo")
    assert (get_user_model().objects.count(), Chair.objects.count(), Patient.objects.count()) == counts
    for username, password in [
        ("reception", "reception-demo"),
        ("nurse", "nurse-demo"),
        ("specialist", "specialist-demo"),
        ("admin", "admin-demo"),
    ]:
        assert f"{username:<11} password: {password}" in out
        user = get_user_model().objects.get(username=username)
        assert user.check_password(password)
        assert user.groups.count() == 1
    assert counts[1] >= 6 and counts[2] >= 5
    assert all(p.nhs_number == "" or p.nhs_number.startswith("999") for p in Patient.objects.all())
