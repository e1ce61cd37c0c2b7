"""Simulated shoppers against a running API that interleaves two rankers, then a screenshot of the
review console's Interleaving tab (docs/img/console_interleaving.png).

    # 1. the API with CTP_INTERLEAVE set, and the console (see docs/recommender.md#online-comparison)
    python -m infra.interleave_screenshot simulate --api http://127.0.0.1:8000 --passes 5
    python -m infra.interleave_screenshot shoot --console http://127.0.0.1:8502 \
        --out docs/img/console_interleaving.png

The shoppers are *judge-like*: they ask the need-judged queries of the **dev** split (train-split
queries held out from training; never the test split) and prefer what the need judgments graded
high. A shopper examines position k (0-based) with probability 1/(k+1) and clicks an examined
product with probability ``CLICK[grade]`` (an unjudged product counts as grade 0, as in the offline
NDCG); a clicked grade-3 product is added to the cart. Every click and cart is a
``POST /v1/turns/{id}/events``, so the console's figures come from the app's own turn log.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

from recsys.build import DEV_SHARE
from recsys.golden import load_queries
from recsys.labels import split_of
from recsys.pools import NEED_JUDGMENTS_TRAIN, load_need_judgments

#: Click probability of an examined product, by need grade (0 irrelevant … 3 exact).
CLICK = {0: 0.05, 1: 0.2, 2: 0.5, 3: 0.9}
DEV_KEY = "dev-reviewer-key-change-me"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"]


def dev_queries() -> list[tuple[str, dict[str, int]]]:
    """(query text, {product id: need grade}) of the dev split, as ``ctp recsys evaluate --split dev``."""
    need = load_need_judgments(NEED_JUDGMENTS_TRAIN)
    return [
        (q.query, need[q.id])
        for q in load_queries(splits=("train",))
        if q.id in need and split_of("n" + q.id, DEV_SHARE) == "valid"
    ]


def simulate(api: str, passes: int, seed: int) -> dict[str, int]:
    rng = random.Random(seed)
    counts = {"turns": 0, "shown": 0, "clicks": 0, "carts": 0}
    with httpx.Client(base_url=api, timeout=60) as client:
        for _ in range(passes):
            for text, grades in dev_queries():
                r = client.post("/v1/chat", json={"message": text})
                r.raise_for_status()
                turn = r.json()
                counts["turns"] += 1
                counts["shown"] += bool(turn["products"])
                headers = {"X-Conversation-Token": turn["conversation_token"]}
                for k, product in enumerate(turn["products"]):
                    grade = grades.get(product["id"], 0)
                    if rng.random() < 1 / (k + 1) and rng.random() < CLICK[grade]:
                        kinds = ["click", "add_to_cart"] if grade == 3 else ["click"]
                        for kind in kinds:
                            client.post(
                                f"/v1/turns/{turn['turn_id']}/events",
                                json={"kind": kind, "product_id": product["id"]},
                                headers=headers,
                            ).raise_for_status()
                            counts["clicks" if kind == "click" else "carts"] += 1
    return counts


def shoot(console: str, out: Path, key: str) -> None:
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 900})
        page.set_default_timeout(60_000)
        page.goto(console, wait_until="networkidle")
        page.get_by_label("Reviewer API key").fill(key)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("tab", name="Interleaving").click()
        page.get_by_text("Online comparison: team-draft interleaving").wait_for()
        page.locator("[data-testid='stDataFrame']").last.wait_for()
        page.wait_for_timeout(3000)  # the Vega chart draws after the frame arrives
        out.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(out), full_page=True)
        browser.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    sim = sub.add_parser("simulate")
    sim.add_argument("--api", default="http://127.0.0.1:8000")
    sim.add_argument("--passes", type=int, default=5, help="times each dev query is asked")
    sim.add_argument("--seed", type=int, default=16)
    shot = sub.add_parser("shoot")
    shot.add_argument("--console", default="http://127.0.0.1:8502")
    shot.add_argument("--out", type=Path, default=Path("docs/img/console_interleaving.png"))
    shot.add_argument("--key", default=DEV_KEY)
    args = ap.parse_args()
    if args.cmd == "simulate":
        print(simulate(args.api, args.passes, args.seed))
    else:
        shoot(args.console, args.out, args.key)
        print(args.out)


if __name__ == "__main__":
    main()
