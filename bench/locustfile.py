"""The mixed workload of bench/load.py, run by locust in a process (and virtualenv) of its
own. Residents of random labs read the board and its suggestions, post needs, book the
lab's shared car, open contract pages and sign in through the OpenID provider.

Reads the world from LOAD_WORLD (written by bench/load.py); writes every answer's status
per kind of request to LOAD_TALLY when it stops. A 5xx counts as a failure; 503 is counted
apart (the database went away: the fault phase expects some)."""

from __future__ import annotations

import json
import os
import random
from collections import Counter
from datetime import datetime, timedelta, timezone

from gevent.lock import BoundedSemaphore
from locust import HttpUser, between, events, task

WORLD = json.load(open(os.environ["LOAD_WORLD"]))
TALLY: Counter = Counter()
# oidc-provider-mock (the stand-in for a real provider) is not safe for concurrent
# authorizations (its list of recent subjects changes while it is read): one at a time.
PROVIDER = BoundedSemaphore(1)
EXPECTED = {
    "board list": {200},
    "board suggestions": {200},
    "board post": {201},
    "car booking": {201, 409},  # 409: the slot was just taken by someone else
    "contract page": {200},
    "sign-in": {302},
}


class Resident(HttpUser):
    wait_time = between(0.02, 0.1)

    # Every request goes to a lab drawn anew: the load is spread over all the labs, as it is
    # when many neighbourhoods use one deployment (and the tenant switch is exercised).
    def _draw(self) -> None:
        self.lab = random.choice(WORLD["labs"])
        self.slug = self.lab["slug"]
        self.auth = {"Authorization": f"Bearer {self.lab['token']}"}

    def on_start(self):
        self._draw()

    def _check(self, name: str, response) -> None:
        TALLY[f"{name} {response.status_code}"] += 1
        if response.status_code in EXPECTED[name]:
            response.success()
        else:
            response.failure(f"{response.status_code}")

    @task(6)
    def board_list(self):
        self._draw()
        with self.client.get(
            f"/t/{self.slug}/api/v1/board/posts?page_size=10", headers=self.auth, name="board list", catch_response=True
        ) as r:
            self._check("board list", r)

    @task(3)
    def board_suggestions(self):
        self._draw()
        post = random.choice(self.lab["posts"])
        with self.client.get(
            f"/t/{self.slug}/api/v1/board/posts/{post}/suggestions",
            headers=self.auth,
            name="board suggestions",
            catch_response=True,
        ) as r:
            self._check("board suggestions", r)

    @task(1)
    def board_post(self):
        self._draw()
        body = {
            "kind": random.choice(["need", "offer"]),
            "title": f"Load {random.randrange(10**9)}: hulp bij de tuin",
            "body": "Wie helpt een middag met snoeien en opruimen?",
            "categories": ["groen"],
        }
        with self.client.post(
            f"/t/{self.slug}/api/v1/board/posts", json=body, headers=self.auth, name="board post", catch_response=True
        ) as r:
            self._check("board post", r)

    @task(2)
    def car_booking(self):
        self._draw()
        start = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0) + timedelta(
            hours=random.randrange(2, 24 * 300)
        )
        body = {"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=2)).isoformat()}
        with self.client.post(
            f"/t/{self.slug}/api/v1/assets/{self.lab['asset']}/bookings",
            json=body,
            headers=self.auth,
            name="car booking",
            catch_response=True,
        ) as r:
            self._check("car booking", r)

    @task(2)
    def contract_page(self):
        self._draw()
        with self.client.get(
            f"/t/{self.slug}/contracts/{self.lab['contract']}",
            # As a header: a cookie passed with `cookies=` loses to one the client keeps from an
            # earlier answer (requests merges without overwriting), which is another lab's.
            headers={"Cookie": f"session={self.lab['cookie']}"},
            name="contract page",
            catch_response=True,
        ) as r:
            self._check("contract page", r)

    @task(1)
    def sign_in(self):
        """The whole OpenID flow: to the provider, allow, back with a code (we exchange it)."""
        self._draw()
        self.client.cookies.clear()
        start = self.client.get("/login/load?next=/", allow_redirects=False, name="sign-in: start")
        if start.status_code != 302:
            TALLY[f"sign-in {start.status_code}"] += 1
            return
        with PROVIDER:
            allowed = self.client.post(
                start.headers["Location"],
                data={"sub": self.lab["email"], "action": "allow"},
                allow_redirects=False,
                name="sign-in: provider",
            )
        back = allowed.headers.get("Location")
        if allowed.status_code != 302 or not back:
            TALLY[f"sign-in: provider {allowed.status_code}"] += 1  # the stand-in provider's answer, not ours
            return
        try:
            with self.client.get(back, allow_redirects=False, name="sign-in", catch_response=True) as r:
                self._check("sign-in", r)
        finally:
            # The sign-in's session cookie must not ride along with the next requests, which
            # carry the cookie of the lab they draw (a stranger there would see 404s).
            self.client.cookies.clear()


@events.quitting.add_listener
def _write_tally(environment, **_kw):
    with open(os.environ["LOAD_TALLY"], "w") as fh:
        json.dump(dict(TALLY), fh)
