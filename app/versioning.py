"""Versions recorded with every turn: which code, data and models produced it."""

from __future__ import annotations

import os
import subprocess

from app.settings import REPO_ROOT


def code_version() -> str:
    """The git commit of the running code (``CTP_CODE_VERSION`` wins, for images built without .git)."""
    if env := os.environ.get("CTP_CODE_VERSION"):
        return env
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=5,
        ).stdout.strip()
        return out.stdout.strip() + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
