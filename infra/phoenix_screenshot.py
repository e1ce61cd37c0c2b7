"""Screenshot a turn's trace in Phoenix's UI with headless Chromium (docs/img/phoenix_turn_trace.png).

    python -m infra.phoenix_screenshot --url http://127.0.0.1:6006 --out docs/img/phoenix_turn_trace.png

Picks the latest `turn` span that has annotations in the project and opens its trace page.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from phoenix.client import Client
from playwright.sync_api import sync_playwright


def annotated_turn(url: str, project: str) -> tuple[str, str]:
    client = Client(base_url=url)
    spans = client.spans.get_spans(project_identifier=project, name="turn", limit=200)
    ids = [s["context"]["span_id"] for s in spans]
    notes = client.spans.get_span_annotations(span_ids=ids, project_identifier=project, limit=1000)
    counts: dict[str, int] = {}
    for a in notes:
        counts[a["span_id"]] = counts.get(a["span_id"], 0) + 1
    best = max(spans, key=lambda s: (counts.get(s["context"]["span_id"], 0), s["start_time"]))
    return best["context"]["trace_id"], best["context"]["span_id"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", default="http://127.0.0.1:6006")
    ap.add_argument("--project", default="chat-to-purchase")
    ap.add_argument("--out", type=Path, default=Path("docs/img/phoenix_turn_trace.png"))
    args = ap.parse_args()
    trace_id, span_id = annotated_turn(args.url, args.project)
    client = Client(base_url=args.url)
    project_id = next(p["id"] for p in client.projects.list() if p["name"] == args.project)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.goto(
            f"{args.url}/projects/{project_id}/traces/{trace_id}?selectedSpanNodeId=",
            wait_until="networkidle",
        )
        page.get_by_text("retrieve", exact=True).first.wait_for(timeout=60_000)  # the span tree loaded
        page.get_by_role("button", name="turn").or_(page.get_by_text("turn", exact=True)).first.click(
            force=True
        )
        page.wait_for_timeout(1000)
        box = page.get_by_text("friction").first.bounding_box()  # the root row carries the chips
        if box:
            page.mouse.click(box["x"] + 10, box["y"] - 30)  # the root row: input, output, annotations
        page.wait_for_timeout(2500)
        for label in ("Annotations", "Feedback"):
            tab = page.get_by_role("tab", name=label)
            if tab.count():
                tab.first.click()
                page.wait_for_timeout(1500)
                break
        args.out.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(args.out), full_page=False)
        browser.close()
    print(f"{args.out}: trace {trace_id}, span {span_id}")


if __name__ == "__main__":
    main()
