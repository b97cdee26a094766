"""Locust user for bench/load.py: the pages of the plan one after another, each for a time slice.

The plan (a JSON file named by BENCH_PLAN) lists the pages, each with the role that opens it, the
session cookies of each role and the slice (seconds). bench/load.py signs each role in once before
the run, so the timed window holds page requests only (a sign-in hashes a password: CPU that would
crowd the pages out of a short run).

All clients request the same page, with no think time (a closed loop: each client sends its next
request as soon as the last one answered), until its slice has passed and every client has had an
answer (a client with its answer sends no more once the slice is over); then all move to the next
page, and the run ends after the last one. So
every page is measured, a slow page cannot starve the others of samples, and the run lasts about
slice x pages, longer only where a page is slower than its slice.
"""

import json
import os
import time

import gevent
from locust import HttpUser, constant, task
from locust.clients import HttpSession

with open(os.environ["BENCH_PLAN"]) as plan_file:
    PLAN = json.load(plan_file)
PAGES = PLAN["pages"]
SLICE = float(PLAN["slice"])
_state = {"index": 0, "since": None, "answered": set(), "in_flight": 0, "draining": False}
SPANS = {}  # page name -> seconds it was measured (its slice, from its first request to the move on)


class ClinicUser(HttpUser):
    wait_time = constant(0)

    def on_start(self):
        self.sessions = {None: self.client}
        for role, cookies in PLAN["cookies"].items():
            session = HttpSession(
                base_url=self.host, request_event=self.environment.events.request, user=self
            )
            session.cookies.update(cookies)
            self.sessions[role] = session

    @task
    def current_page(self):
        if _state["draining"]:
            # Between two pages every client waits for the last requests of the page before to
            # answer, so that none queues behind them in the workers.
            if _state["in_flight"]:
                gevent.sleep(0.02)
                return
            _state.update(draining=False, since=None)
        if _state["since"] is None:
            _state["since"] = time.monotonic()
        index = _state["index"]
        if index >= len(PAGES):
            gevent.sleep(0.2)
            return
        page = PAGES[index]
        clients = max(self.environment.runner.user_count, 1)
        elapsed = time.monotonic() - _state["since"]
        if elapsed >= SLICE and id(self) in _state["answered"]:
            # The slice is over and this client has its answer: wait for the others' first answer.
            if len(_state["answered"]) >= clients and not _state["draining"]:
                SPANS[page["name"]] = elapsed
                with open(os.environ["BENCH_SPANS"], "w") as spans_file:
                    json.dump(SPANS, spans_file)
                _state.update(index=index + 1, answered=set(), draining=True)
                if index + 1 >= len(PAGES):
                    gevent.spawn(self.environment.runner.quit)  # every page measured: end the run
            else:
                gevent.sleep(0.02)
            return
        session = self.sessions[page["role"]]
        _state["in_flight"] += 1
        try:
            with session.get(page["url"], name=page["name"], catch_response=True, allow_redirects=False) as r:
                if r.status_code != 200:
                    r.failure(f"status {r.status_code}")
        finally:
            _state["in_flight"] -= 1
        if _state["index"] == index:
            _state["answered"].add(id(self))
