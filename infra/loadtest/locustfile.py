"""Locust scenarios: realistic multi-turn shoppers against the chat-to-purchase API.

One simulated user is one shopper session after another. A session opens a conversation with a
real search (the train split of ``evals/golden/shopper_queries.jsonl``), refines it one to three
times, sometimes compares or asks about a product, often adds one to the cart and checks out
through ``POST /v1/conversations/{id}/checkout`` with an ``Idempotency-Key`` (and sometimes retries
it, as a double click would). A share of turns is out of scope (a 200 with an abstention) and a
share of requests is malformed on purpose: those must come back with the exact 4xx the API
documents, and are counted as *expected*, not as errors.

Request names are what the report groups by:

* ``POST /v1/chat [<kind>]`` — a turn that must answer 200 (and is logged: the runner checks the
  number of these against the ``turns`` table);
* ``4xx expected [<case>]`` — a malformed request that must get its documented status;
* ``POST /checkout``, ``POST /checkout [retry]``, ``GET /conversation``;
* ``POST /cart [last units]`` and ``POST /v1/chat [last-units checkout]`` — the race for the last
  5 units of one variant (``last_units.py``): a 201 or a 409 "sold out" at the cart, then a chat
  checkout that places an order or answers that it sold out. The runner tallies the orders.

A checkout of the regular session may meet stock that ran out under the load: a 409 whose code is
``sold_out`` is the documented answer and counts as a success (``POST /checkout [sold out]``).

Knobs (environment): ``CTP_LOAD_THINK`` = "min,max" seconds of think time between requests
(default "1,3"; "0" for a closed loop with no think time), ``CTP_LOAD_SEED``, and
``CTP_LOAD_SAMPLES``: a CSV path that receives one row per request (start time, name, ms, ok), from
which the runner computes *exact* pooled percentiles — Locust's CSV only has them per endpoint.
"""

from __future__ import annotations

import json
import os
import random
import uuid
from pathlib import Path
from typing import Any

from locust import FastHttpUser, between, constant, events, task

GOLDEN = Path(__file__).resolve().parents[2] / "evals" / "golden" / "shopper_queries.jsonl"

REFINEMENTS = [
    "in black", "in blue", "in red", "in grey", "in white", "size M", "size L", "size S",
    "under $50", "under $80", "under $30", "for men", "for women", "cotton", "anything cheaper?",
    "something warmer", "in green", "between $20 and $60",
]  # fmt: skip
OUT_OF_SCOPE = [
    "what's the weather in paris tomorrow", "book me a flight to rome", "what is my bank balance",
    "do you sell car tires?", "tell me a joke", "how do I reset my router", "play some jazz",
    "I need a plumber", "what's the capital of peru", "order a pizza with extra cheese",
]  # fmt: skip
FALLBACK_SEARCHES = ["hoodies for women", "men's running shoes", "yoga pants", "backpack", "denim jacket"]


def _searches() -> list[str]:
    """The train split's queries (the evals' calibration and test splits stay unseen)."""
    try:
        rows = [json.loads(line) for line in GOLDEN.read_text().splitlines() if line.strip()]
    except OSError:
        return FALLBACK_SEARCHES
    return [r["query"] for r in rows if r.get("split") == "train"] or FALLBACK_SEARCHES


SEARCHES = _searches()


def _open_samples() -> Any:
    path = os.environ.get("CTP_LOAD_SAMPLES")
    if not path:
        return None
    fh = open(path, "w", buffering=1 << 16)  # noqa: SIM115 - flushed at test_stop, closed when Locust quits
    fh.write("start_s,name,ms,ok\n")
    return fh


_SAMPLES = _open_samples()

if _SAMPLES is not None:

    @events.request.add_listener
    def _sample(
        request_type: str, name: str, response_time: float, exception: Any, start_time: float, **_: Any
    ) -> None:
        _SAMPLES.write(
            f"{start_time:.3f},{name.replace(',', ';')},{response_time:.2f},{int(exception is None)}\n"
        )

    @events.test_stop.add_listener
    def _flush(**_: Any) -> None:
        _SAMPLES.flush()

    @events.quitting.add_listener
    def _close(**_: Any) -> None:  # requests still in flight at test_stop land before this
        _SAMPLES.close()


def _wait_time() -> Any:
    raw = os.environ.get("CTP_LOAD_THINK", "1,3")
    parts = [float(x) for x in raw.split(",")]
    if len(parts) == 1 or parts[1] <= 0:
        return constant(parts[0])
    return between(parts[0], parts[1])


class Shopper(FastHttpUser):
    """One shopper session per ``task`` run; think time between every request."""

    wait_time = _wait_time()

    def on_start(self) -> None:
        self.rng = random.Random(os.environ.get("CTP_LOAD_SEED", "") + uuid.uuid4().hex)
        self.token = ""
        # Shoppers arrive over one think time rather than all in the same millisecond: Locust starts
        # every user at once, and 32 first searches landing together measure a thundering herd (the
        # first run's p95 was that burst: 31 of its 35 slow requests started at t = 0), not 32
        # shoppers browsing. In closed-loop runs (think 0) this waits nothing.
        self.think()

    # --- helpers ------------------------------------------------------------------------------

    def think(self) -> None:
        self.wait()

    def auth(self) -> dict[str, str]:
        """The conversation's access token, returned when it was created."""
        return {"X-Conversation-Token": self.token} if self.token else {}

    def chat(self, kind: str, message: str, cid: str | None) -> dict[str, Any] | None:
        """A turn that must succeed: 200 with a turn id. Returns the body, or None on failure."""
        body: dict[str, Any] = {"message": message}
        if cid:
            body["conversation_id"] = cid
        else:
            self.token = ""
        with self.client.post(
            "/v1/chat", json=body, headers=self.auth(), name=f"POST /v1/chat [{kind}]", catch_response=True
        ) as resp:
            if resp.status_code != 200:
                resp.failure(f"{resp.status_code}: {(resp.text or '')[:200]}")
                return None
            data: dict[str, Any] = resp.json()
            if not data.get("turn_id"):
                resp.failure("200 without a turn_id")
                return None
            resp.success()
            if data.get("conversation_token"):
                self.token = data["conversation_token"]
            return data

    def expect(self, case: str, status: int, method: str, path: str, **kwargs: Any) -> None:
        """A malformed request: success means exactly the documented 4xx."""
        with self.client.request(
            method, path, name=f"4xx expected [{case}]", catch_response=True, **kwargs
        ) as resp:
            if resp.status_code == status:
                resp.success()
            else:
                resp.failure(f"expected {status}, got {resp.status_code}")

    def checkout(self, cid: str) -> None:
        key = uuid.uuid4().hex
        headers = {"Idempotency-Key": key, **self.auth()}
        path = f"/v1/conversations/{cid}/checkout"
        with self.client.post(path, headers=headers, name="POST /checkout", catch_response=True) as r:
            if r.status_code == 200:
                r.success()
            elif r.status_code == 409 and (r.json() or {}).get("code") == "sold_out":
                r.success()  # the demo stock ran out under load: the documented answer
                return
            else:
                r.failure(f"{r.status_code}: {(r.text or '')[:200]}")
                return
            order_id = r.json().get("order_id") or r.json().get("id")
        if self.rng.random() < 0.3:  # a double click: same key, same order
            with self.client.post(
                path, headers=headers, name="POST /checkout [retry]", catch_response=True
            ) as r2:
                same = (
                    r2.status_code == 200 and (r2.json().get("order_id") or r2.json().get("id")) == order_id
                )
                if same:
                    r2.success()
                else:
                    r2.failure(f"retry gave {r2.status_code}, not the same order")

    # --- the session --------------------------------------------------------------------------

    @task(20)
    def shopping_session(self) -> None:
        rng = self.rng
        first = self.chat("search", rng.choice(SEARCHES), None)
        if first is None:
            return
        cid = first["conversation_id"]
        for _ in range(rng.randint(1, 3)):
            self.think()
            if self.chat("refine", rng.choice(REFINEMENTS), cid) is None:
                return
        if rng.random() < 0.4:
            self.think()
            self.chat("compare", "compare the first two", cid)
        if rng.random() < 0.2:
            self.think()
            self.chat("question", "tell me about the second one", cid)
        if rng.random() < 0.1:
            self.think()
            self.chat("out-of-scope", rng.choice(OUT_OF_SCOPE), cid)
        if rng.random() < 0.6:
            self.think()
            added = self.chat(
                "add-to-cart", rng.choice(["add the first one to my cart", "add the second one"]), cid
            )
            if added is not None and added.get("cart"):
                self.think()
                if rng.random() < 0.8:
                    self.checkout(cid)
                else:
                    self.chat("checkout", "checkout", cid)
        if rng.random() < 0.2:
            self.think()
            self.client.get(f"/v1/conversations/{cid}", headers=self.auth(), name="GET /conversation")
        self.think()

    @task(2)
    def last_units(self) -> None:
        """Race for the last units of one variant: add it, check out in chat (``last_units.py``)."""
        spec = os.environ.get("CTP_LOAD_LAST_UNITS", "")
        if not spec:
            return
        product_id, _sku, size, color = spec.split("|")
        hello = self.chat("last-units hello", "hello", None)
        if hello is None:
            return
        cid = hello["conversation_id"]
        body = {"product_id": product_id, "size": size, "color": color}
        with self.client.post(
            f"/v1/conversations/{cid}/cart", json=body, headers=self.auth(), name="POST /cart [last units]",
            catch_response=True,
        ) as r:  # fmt: skip
            if r.status_code == 201:
                r.success()
            elif r.status_code == 409 and "sold out" in (r.json() or {}).get("detail", ""):
                r.success()
                return
            else:
                r.failure(f"{r.status_code}: {(r.text or '')[:200]}")
                return
        self.think()
        self.chat("last-units checkout", "checkout", cid)
        self.think()

    @task(2)
    def out_of_scope_opening(self) -> None:
        self.chat("out-of-scope", self.rng.choice(OUT_OF_SCOPE), None)
        self.think()

    @task(2)
    def malformed(self) -> None:
        case = self.rng.randrange(6)
        unknown = "c_" + uuid.uuid4().hex
        if case == 0:
            self.expect("blank message", 422, "POST", "/v1/chat", json={"message": "   "})
        elif case == 1:
            self.expect("too long", 413, "POST", "/v1/chat", json={"message": "hoodie " * 400})
        elif case == 2:
            self.expect(
                "unknown conversation",
                404,
                "POST",
                "/v1/chat",
                json={"conversation_id": unknown, "message": "hi"},
                headers={"X-Conversation-Token": uuid.uuid4().hex},  # a wrong token reads as unknown
            )
        elif case == 3:
            self.expect(
                "bad conversation id",
                422,
                "POST",
                "/v1/chat",
                json={"conversation_id": "../x", "message": "hi"},
            )
        elif case == 4:
            self.expect("checkout without token", 401, "POST", f"/v1/conversations/{unknown}/checkout")
        else:
            self.expect(
                "not json",
                422,
                "POST",
                "/v1/chat",
                data="{not json",
                headers={"Content-Type": "application/json"},
            )
        self.think()
