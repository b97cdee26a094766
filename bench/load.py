"""The load benchmark: the pages people use every day, on the scale dataset, under gunicorn.

    make bench                      # the pytest benchmarks, then this
    .venv/bin/python bench/load.py  # this alone

Steps (bench/README.md explains the columns of the table it writes):
1. the database at BENCH_DATABASE_URL (created when missing) is migrated and, when it holds no
   patients, seeded with `seed_scale --years 10 --seed 1` (a few minutes, once); a database that
   already holds the scale dataset is used as it is;
2. collectstatic, then gunicorn with 2 workers, DEBUG=false, the production settings, on a free port;
3. a pass with Django's test client counts each page's queries (CaptureQueriesContext);
4. locust, headless, at 1 and then 8 concurrent clients, BENCH_SECONDS (default 30) each, over every
   page in PAGES plus two references: /healthz (the framework's floor) and the admin changelist of
   patients;
5. p50, p95, requests/s per page, each page's p50 against both references, the worker's peak memory
   (VmHWM of each gunicorn worker), printed and written to bench/results.md (BENCH_RESULTS).

Settings that differ from a deployment, and why:
- MFA_REQUIRED_ROLES is empty: locust signs in with a password (the TOTP step is not what is measured);
- SECURE_SSL_REDIRECT, SESSION_COOKIE_SECURE and CSRF_COOKIE_SECURE are false: locust speaks plain
  HTTP to gunicorn, where a deployment has TLS in front of it;
- no CELERY_BROKER_URL: the pages measured enqueue nothing.
"""

import csv
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/infusion_clinic_bench"
PASSWORD = "scale-bench"
SUPERUSER = "scale-superuser"
LEVELS = [1, 8]
WORKERS = 2
LOG = Path(tempfile.gettempdir()) / "infusion-clinic-bench.log"  # gunicorn's and locust's own output


def bench_env(database_url):
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        DEBUG="false",
        SECRET_KEY=os.environ.get("BENCH_SECRET_KEY", "bench-only-secret-key-not-for-production-0123456789"),
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        MFA_REQUIRED_ROLES="",
        SECURE_SSL_REDIRECT="false",
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
        STATIC_ROOT=str(ROOT / "staticfiles"),
        DJANGO_SETTINGS_MODULE="infusion_clinic.settings",
    )
    env.pop("CELERY_BROKER_URL", None)
    return env


def say(text):
    print(f"bench/load.py: {text}", flush=True)


def ensure_database(url):
    import psycopg2

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    server = url.rsplit("/", 1)[0] + "/postgres"
    conn = psycopg2.connect(server)
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if not cursor.fetchone():
            say(f"creating database {name}")
            cursor.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def manage(env, *args, quiet=False):
    out = subprocess.DEVNULL if quiet else None
    subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=out)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def setup_django(env):
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import logging

    import django

    django.setup()
    logging.getLogger("axes").setLevel(logging.WARNING)  # the test client's sign-ins, one line each


def dataset_and_pages():
    """The scale dataset's ids the pages need, and the page list: (name, role, url)."""
    from django.contrib.auth import get_user_model
    from django.db.models import Count
    from django.utils import timezone

    from patients.models import Patient
    from records.models import VitalSigns
    from sessions.models import InfusionSession

    User = get_user_model()
    superuser, created = User.objects.get_or_create(
        username=SUPERUSER, defaults={"is_superuser": True, "is_staff": True}
    )
    if created:
        superuser.set_password(PASSWORD)
        superuser.save()
    today = timezone.localdate()
    long_record = (
        VitalSigns.objects.values("session")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("session", "n")[:1]
    )[0]
    busy = (
        InfusionSession.objects.filter(status="signed_off", course__isnull=False)
        .values("patient")
        .annotate(n=Count("id"))
        .order_by("-n", "patient")
        .values_list("patient", flat=True)[:1]
    )[0]
    patient = Patient.objects.get(pk=busy)
    version = (
        InfusionSession.objects.filter(patient=patient)
        .order_by("-start")
        .values_list("protocol_version", flat=True)[0]
    )
    year_ago = today - timedelta(days=365)
    pages = [
        ("REF /healthz", None, "/healthz"),
        ("REF admin changelist of patients", "superuser", "/admin/patients/patient/"),
        ("dashboard (reception)", "reception", "/"),
        ("dashboard (nurse)", "nurse", "/"),
        ("dashboard (specialist)", "specialist", "/"),
        ("dashboard (admin)", "admin", "/"),
        ("day board", "nurse", "/sessions/"),
        ("week view", "reception", "/sessions/week/"),
        ("booking page", "reception", "/sessions/book/"),
        (
            "slot finder",
            "reception",
            f"/sessions/book/?patient={patient.pk}&protocol_version={version}&earliest={today.isoformat()}&preference=any",
        ),
        ("patient list", "reception", "/patients/"),
        ("patient search", "reception", f"/patients/?q={patient.last_name}"),
        ("patient page", "specialist", f"/patients/{patient.pk}/"),
        (f"session record, {long_record[1]} observations", "nurse", f"/sessions/{long_record[0]}/record/"),
        ("diary review queue", "specialist", "/patients/follow-up/diaries/"),
        ("outcome review queue", "specialist", "/patients/follow-up/outcomes/"),
        ("waiting list", "specialist", "/patients/referrals/waiting-list/"),
        ("invoice list", "admin", "/billing/invoices/"),
        ("reminder list", "reception", "/sessions/reminders/"),
        ("reminder wording", "admin", "/sessions/reminders/wording/"),
        ("reports index", "admin", "/reports/"),
        ("report: utilisation (4 weeks)", "admin", "/reports/utilisation/"),
        (
            "report: utilisation (1 year)",
            "admin",
            f"/reports/utilisation/?start={year_ago.isoformat()}&end={today.isoformat()}",
        ),
        ("report: attendance", "admin", "/reports/attendance/"),
        ("report: outcomes", "admin", "/reports/outcomes/"),
        ("report: adverse events", "admin", "/reports/adverse-events/"),
        ("report: waiting list", "admin", "/reports/waiting-list/"),
        ("report: NHS activity", "admin", "/billing/reports/nhs-activity/"),
    ]
    users = {
        "reception": "scale-reception",
        "nurse": "scale-nurse",
        "specialist": "scale-specialist",
        "admin": "scale-admin",
        "superuser": SUPERUSER,
    }
    return [{"name": n, "role": r, "url": u} for n, r, u in pages], users


def count_queries(pages, users):
    """Each page once through the test client: status, queries, size."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    User = get_user_model()
    clients = {}
    for role, username in users.items():
        client = Client()
        client.force_login(User.objects.get(username=username))
        clients[role] = client
    clients[None] = Client()
    found = {}
    for page in pages:
        client = clients[page["role"]]
        client.get(page["url"])  # warm: the first request of a process loads templates
        with CaptureQueriesContext(connection) as queries:
            response = client.get(page["url"])
        found[page["name"]] = {
            "status": response.status_code,
            "queries": len(queries),
            "bytes": len(response.content),
        }
        say(
            f"  {page['name']:<40} {response.status_code} {len(queries):>4} queries {len(response.content):>9,} bytes"
        )
    return found


def sign_in(host, username):
    """Sign one user in through the login page, as a browser does; their cookies."""
    import re

    import requests

    session = requests.Session()
    page = session.get(f"{host}/accounts/login/", timeout=60)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    answer = session.post(
        f"{host}/accounts/login/",
        data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token},
        allow_redirects=False,
        timeout=60,
    )
    if answer.status_code != 302:
        raise SystemExit(f"bench/load.py: {username} could not sign in (status {answer.status_code})")
    return session.cookies.get_dict()


def worker_pids(master_pid):
    try:
        children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    except OSError:
        return []
    return [int(pid) for pid in children]


def peak_memory_mb(pid):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def run_locust(host, plan_path, users, max_seconds, workdir):
    prefix = Path(workdir) / f"locust-{users}"
    spans = Path(workdir) / f"spans-{users}.json"
    env = dict(os.environ, BENCH_PLAN=str(plan_path), BENCH_SPANS=str(spans))
    cmd = [
        str(Path(PY).parent / "locust"),
        "-f",
        str(ROOT / "bench" / "locustfile.py"),
        "--headless",
        "--host",
        host,
        "--users",
        str(users),
        "--spawn-rate",
        str(users),
        "--run-time",
        f"{max_seconds}s",  # a cap: the run ends when every page has been measured
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
        "--stop-timeout",
        "30",
    ]
    with LOG.open("a") as log:
        subprocess.run(cmd, env=env, check=False, stdout=log, stderr=subprocess.STDOUT)
    rows = {}
    with open(f"{prefix}_stats.csv") as handle:
        for row in csv.DictReader(handle):
            rows[row["Name"]] = row
    # Requests/s of a page over the time it was measured (locust's own column divides by the run).
    measured = json.loads(spans.read_text()) if spans.exists() else {}
    for name, row in rows.items():
        if name in measured and measured[name] > 0:
            row["Requests/s"] = str(float(row["Request Count"]) / measured[name])
        elif name != "Aggregated":
            row["Requests/s"] = ""
    return rows


def number(row, key):
    try:
        return float(row[key])
    except (KeyError, TypeError, ValueError):
        return None


def table(pages, queries, results, memory, meta):
    lines = []
    label = os.environ.get("BENCH_LABEL", "")
    lines.append(f"# Load benchmark{': ' + label if label else ''}")
    lines.append("")
    lines.append(
        f"Run at {meta['when']} on commit `{meta['commit']}`; {meta['dataset']}. gunicorn {WORKERS} sync "
        f"workers, DEBUG=false, PostgreSQL; locust, closed loop (no think time), {meta['seconds']} s per level."
    )
    lines.append("")
    lines.append(
        f"Machine: {meta['cpus']} cores, shared with other work: load average before the run "
        f"`{meta['load_before']}`, after it `{meta['load_after']}`. Figures on a shared machine are noisy: "
        "compare ratios (page / reference, measured in the same run) rather than milliseconds across runs."
    )
    lines.append("")
    lines.append(
        "Times in ms (server round trip seen by the client). `x healthz` / `x admin` = page p50 / reference p50 at the same concurrency."
    )
    lines.append("")
    header = "| page | role | queries | KB |"
    rule = "| --- | --- | ---: | ---: |"
    for level in LEVELS:
        header += f" n @{level} | p50 @{level} | p95 @{level} | req/s @{level} | x healthz @{level} | x admin @{level} |"
        rule += " ---: | ---: | ---: | ---: | ---: | ---: |"
    header += " failures |"
    rule += " ---: |"
    lines.append(header)
    lines.append(rule)
    refs = {}
    for level in LEVELS:
        rows = results[level]
        refs[level] = (
            number(rows.get("REF /healthz", {}), "50%"),
            number(rows.get("REF admin changelist of patients", {}), "50%"),
        )
    for page in pages:
        name = page["name"]
        q = queries.get(name, {})
        cells = [
            name,
            page["role"] or "anonymous",
            str(q.get("queries", "")),
            f"{q.get('bytes', 0) / 1024:.0f}",
        ]
        failures = 0
        for level in LEVELS:
            row = results[level].get(name, {})
            p50, p95, rps = number(row, "50%"), number(row, "95%"), number(row, "Requests/s")
            failures += int(number(row, "Failure Count") or 0)
            health, admin = refs[level]
            count = number(row, "Request Count")
            cells += [
                f"{count:.0f}" if count is not None else "0",
                f"{p50:.0f}" if p50 is not None else "-",
                f"{p95:.0f}" if p95 is not None else "-",
                f"{rps:.1f}" if rps is not None else "-",
                f"{p50 / health:.1f}" if p50 and health else "-",
                f"{p50 / admin:.1f}" if p50 and admin else "-",
            ]
        cells.append(str(failures))
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    totals = []
    for level in LEVELS:
        row = results[level].get("Aggregated", {})
        totals.append(f"{level} client(s): {number(row, 'Requests/s') or 0:.1f} requests/s in all")
    lines.append("Throughput: " + "; ".join(totals) + ".")
    lines.append("")
    mem = ", ".join(f"{m:.0f} MB" for m in memory) if memory else "not read"
    lines.append(f"Web worker peak memory (VmHWM of each gunicorn worker at the end): {mem}.")
    lines.append("")
    return "\n".join(lines)


def main():
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    seconds = int(os.environ.get("BENCH_SECONDS", "60"))  # per level, shared by the pages
    max_seconds = int(os.environ.get("BENCH_MAX_SECONDS", "300"))  # per level, whatever the pages take
    out = Path(os.environ.get("BENCH_RESULTS", ROOT / "bench" / "results.md"))
    env = bench_env(url)
    ensure_database(url)
    say(f"migrating {urlsplit(url).path.lstrip('/')}")
    manage(env, "migrate", "--no-input", "-v0")
    setup_django(env)
    from patients.models import Patient

    patients = Patient.objects.count()
    if patients == 0:
        say("the database is empty: seeding the scale dataset (seed_scale --years 10 --seed 1), once")
        manage(env, "seed_scale", "--years", "10", "--seed", "1", "--password", PASSWORD)
    elif not _has_scale_users():
        sys.exit(
            f"bench/load.py: {url} holds {patients:,} patients but not the scale dataset (no scale-* users). "
            "Point BENCH_DATABASE_URL at an empty database."
        )
    else:
        say(f"the scale dataset is there ({patients:,} patients): not seeding")
    from sessions.models import InfusionSession

    dataset = f"{Patient.objects.count():,} patients, {InfusionSession.objects.count():,} sessions"
    pages, users = dataset_and_pages()
    manage(env, "collectstatic", "--no-input", "-v0")
    say("query counts (Django test client, one request per page after a warm-up):")
    queries = count_queries(pages, users)
    from django.db import connections

    connections.close_all()

    port = free_port()
    host = f"http://127.0.0.1:{port}"
    gunicorn = subprocess.Popen(
        [
            str(Path(PY).parent / "gunicorn"),
            "infusion_clinic.wsgi:application",
            "--workers",
            str(WORKERS),
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "120",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=LOG.open("a"),
        stderr=subprocess.STDOUT,
    )
    results = {}
    memory = []
    load_before = os.getloadavg()
    try:
        _wait_for(f"{host}/healthz")
        cookies = {role: sign_in(host, username) for role, username in users.items()}
        with tempfile.TemporaryDirectory() as workdir:
            plan = Path(workdir) / "plan.json"
            plan.write_text(json.dumps({"pages": pages, "cookies": cookies, "slice": seconds / len(pages)}))
            for level in LEVELS:
                say(f"locust: {level} client(s) for {seconds} s")
                results[level] = run_locust(host, plan, level, max_seconds, workdir)
        memory = [m for m in (peak_memory_mb(pid) for pid in worker_pids(gunicorn.pid)) if m]
    finally:
        gunicorn.send_signal(signal.SIGTERM)
        try:
            gunicorn.wait(timeout=30)
        except subprocess.TimeoutExpired:
            gunicorn.kill()
    load_after = os.getloadavg()
    meta = {
        "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": _commit(),
        "dataset": dataset,
        "seconds": seconds,
        "cpus": os.cpu_count(),
        "load_before": " ".join(f"{x:.2f}" for x in load_before),
        "load_after": " ".join(f"{x:.2f}" for x in load_after),
    }
    text = table(pages, queries, results, memory, meta)
    print(text)
    out.write_text(text)
    say(f"written to {out}")


def _has_scale_users():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(username="scale-admin").exists()


def _wait_for(url, timeout=60):
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"bench/load.py: gunicorn did not answer {url} within {timeout} s")


def _commit():
    git = shutil.which("git")
    if not git:
        return "unknown"
    result = subprocess.run([git, "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return result.stdout.strip() or "unknown"


if __name__ == "__main__":
    main()
