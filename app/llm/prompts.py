"""Prompts are files in ``app/prompts/``, versioned by content hash.

A prompt's version is ``<file stem>@<first 12 hex of sha256(text)>`` and is logged with every turn
that used it, so a change of wording is visible in the turn log and in eval reports without anyone
remembering to bump a number. Placeholders are ``{{name}}`` (not ``str.format``: prompts are full
of JSON braces and dollar prices).
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from pydantic import BaseModel

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"


class Prompt(BaseModel):
    name: str
    text: str
    version: str

    def render(self, **values: str) -> str:
        out = self.text
        for key, value in values.items():
            out = out.replace("{{" + key + "}}", value)
        return out


@cache
def load_prompt(file_name: str, directory: Path = PROMPTS_DIR) -> Prompt:
    text = (directory / file_name).read_text(encoding="utf-8")
    stem = file_name.rsplit(".", 1)[0]
    return Prompt(name=stem, text=text, version=f"{stem}@{hashlib.sha256(text.encode()).hexdigest()[:12]}")
