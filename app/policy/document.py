"""The store policy document: Markdown with one ``## `` section per topic.

Each heading carries its topic in an HTML comment (``## Returns and refunds <!-- topic: returns -->``)
so the router's topics and the document's sections cannot drift apart silently: loading a document
without a section for every routed topic fails at start-up, not on a shopper's question.
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel

DEFAULT_POLICY_PATH = Path(__file__).with_name("store_policy.md")
_HEADING = re.compile(r"^## (?P<title>.+?)\s*<!--\s*topic:\s*(?P<topic>[a-z_]+)\s*-->\s*$")


class PolicySection(BaseModel):
    topic: str
    title: str
    text: str


class PolicyDocument(BaseModel):
    sections: dict[str, PolicySection]

    def section(self, topic: str) -> PolicySection | None:
        return self.sections.get(topic)


def load_policy(path: Path = DEFAULT_POLICY_PATH, required: tuple[str, ...] = ()) -> PolicyDocument:
    sections: dict[str, PolicySection] = {}
    current: tuple[str, str] | None = None
    body: list[str] = []

    def close() -> None:
        if current is not None:
            topic, title = current
            sections[topic] = PolicySection(topic=topic, title=title, text=" ".join(body).strip())

    for line in path.read_text(encoding="utf-8").splitlines():
        m = _HEADING.match(line.strip())
        if m:
            close()
            current, body = (m.group("topic"), m.group("title")), []
        elif current is not None and line.strip():
            body.append(line.strip())
    close()
    missing = [t for t in required if t not in sections]
    if missing:
        raise ValueError(f"policy document {path} has no section for {missing}")
    return PolicyDocument(sections=sections)
