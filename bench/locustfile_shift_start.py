"""Shift start, one simulated agent per locust user: log in, open the procedure that just took
effect, acknowledge it, once. Run by bench/shift_start.py, which seeds the agents and the
procedure and reads what this file writes; not meant to be run on its own.

Each user takes the next agent account (SHIFT_PREFIX + 0001 … SHIFT_AGENTS). Once its journey
is over (acknowledged or failed) the user idles instead of stopping: locust replaces users that
stop while it is still spawning, which would send a second journey for an account. When every
agent is done, the runner quits; --run-time bounds the whole run.

Every request is recorded raw (step, milliseconds, error) and written as JSON to SHIFT_OUT when
the test stops, so that the script computes exact percentiles (locust's own are rounded).
"""

import itertools
import json
import os
import re
import time
import urllib.parse
from collections import Counter

import gevent
from gevent.event import Event
from locust import FastHttpUser, events, task

AGENTS = int(os.environ["SHIFT_AGENTS"])
PREFIX = os.environ["SHIFT_PREFIX"]
PASSWORD = os.environ["SHIFT_PASSWORD"]
PAGE = f"/manual/{os.environ['SHIFT_CODE']}/"
ACKNOWLEDGE = f"{PAGE}rev/{os.environ['SHIFT_NUMBER']}/acknowledge/"
LOGIN = "/accounts/login/"
TIMEOUT = float(os.environ.get("SHIFT_CLIENT_TIMEOUT", "120"))
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
FORM = re.compile(r'<form method="post" action="' + re.escape(ACKNOWLEDGE) + '"')

STEPS = ("1 GET login page", "2 POST login", "3 GET procedure", "4 POST acknowledge")

accounts = itertools.count(1)
done = Event()
record = {
    "requests": [],  # [step, ms, error or None, started (epoch s)]
    "journeys": [],  # [agent number, started, ended, ms, outcome]
    "test_started": None,
    "test_stopped": None,
}
outcomes: Counter = Counter()


class Abort(Exception):
    """The journey cannot go on: the step failed (already reported to locust)."""


@events.request.add_listener
def _collect(request_type, name, response_time, exception, start_time=None, **kwargs):
    error = None if exception is None else str(exception)[:200]
    record["requests"].append([name, response_time, error, start_time])


@events.test_start.add_listener
def _started(environment, **kwargs):
    record["test_started"] = time.time()

    def quit_when_done():
        done.wait()
        environment.runner.quit()

    gevent.spawn(quit_when_done)


@events.test_stop.add_listener
def _stopped(environment, **kwargs):
    if record["test_stopped"] is None:
        record["test_stopped"] = time.time()
        with open(os.environ["SHIFT_OUT"], "w") as out:
            json.dump(record, out)


def _reason(response) -> str:
    if response.status_code:
        return f"HTTP {response.status_code}"
    # No HTTP answer: geventhttpclient wraps the cause (timeout, refused, reset) in RetriesExceeded.
    error = getattr(response.error, "original", None) or response.error
    name = type(error).__name__ if error is not None else "no response"
    if "timeout" in name.lower():
        return f"no answer within {TIMEOUT:.0f} s (client timeout)"
    return name


class Agent(FastHttpUser):
    network_timeout = TIMEOUT
    connection_timeout = TIMEOUT
    max_retries = 0

    def step(self, method: str, path: str, name: str, expect: int, check=None, data=None):
        """One request of the journey; anything but `expect` (and `check`) fails it."""
        headers = {"Referer": self.host + path}
        body = None
        if data is not None:
            body = urllib.parse.urlencode(data)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        with self.client.request(
            method,
            path,
            name=name,
            data=body,
            headers=headers,
            allow_redirects=False,
            catch_response=True,
        ) as response:
            problem = None
            if response.status_code != expect:
                problem = _reason(response)
                if name == STEPS[1] and response.status_code == 200:
                    problem = "login refused (form shown again)"
            elif check is not None:
                problem = check(response)
            if problem:
                response.failure(problem)
            else:
                response.success()
        if problem:
            raise Abort(f"{name}: {problem}")
        return response

    @task
    def shift_start(self):
        number = next(accounts)
        if number > AGENTS:  # never expected: one user per account
            self.idle()
        started, clock = time.time(), time.perf_counter()
        try:
            self.journey(f"{PREFIX}{number:04d}")
            outcome = "acknowledged"
        except Abort as failure:
            outcome = str(failure)
        ms = (time.perf_counter() - clock) * 1000
        record["journeys"].append([number, started, time.time(), ms, outcome])
        outcomes[outcome] += 1
        if len(record["journeys"]) >= AGENTS:
            done.set()
        self.idle()

    def journey(self, username: str) -> None:
        login = f"{LOGIN}?{urllib.parse.urlencode({'next': PAGE})}"

        def has_token(response):
            return None if TOKEN.search(response.text or "") else "no CSRF token on the page"

        page = self.step("GET", login, STEPS[0], 200, check=has_token)
        token = TOKEN.search(page.text).group(1)

        def lands_on_procedure(response):
            where = response.headers.get("Location", "")
            return None if where.endswith(PAGE) else f"redirected to {where!r}"

        self.step(
            "POST",
            login,
            STEPS[1],
            302,
            check=lands_on_procedure,
            data={
                "csrfmiddlewaretoken": token,
                "username": username,
                "password": PASSWORD,
                "next": PAGE,
            },
        )

        def offers_acknowledgement(response):
            text = response.text or ""
            if not FORM.search(text):
                return "no acknowledgement form"
            return has_token(response)

        page = self.step("GET", PAGE, STEPS[2], 200, check=offers_acknowledgement)
        token = TOKEN.search(page.text[FORM.search(page.text).start() :]).group(1)
        self.step(
            "POST",
            ACKNOWLEDGE,
            STEPS[3],
            302,
            check=lands_on_procedure,
            data={"csrfmiddlewaretoken": token},
        )

    def idle(self) -> None:
        # The runner kills idle users when it quits (all agents done, or --run-time).
        while True:
            gevent.sleep(3600)
