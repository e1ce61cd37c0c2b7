"""Start Arize Phoenix beside the demo, offline, on loopback: ``make phoenix`` and the real test.

Phoenix (``arize-phoenix``) is large and pins its own dependencies, so it lives in its own
virtualenv (``.phoenix-venv``, made by ``make phoenix``); the app depends only on the light client
packages (``arize-phoenix-client``, ``openinference-*``). The environment below keeps the server
off the internet: no product telemetry, no external fonts/scripts in the UI, no agent assistant.

    python -m infra.phoenix --port 6006 --dir var/phoenix      # what `make phoenix` runs
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

VENV = Path(os.environ.get("CTP_PHOENIX_VENV", Path(__file__).resolve().parent.parent / ".phoenix-venv"))

OFFLINE_ENV = {
    "PHOENIX_TELEMETRY_ENABLED": "false",
    "PHOENIX_ALLOW_EXTERNAL_RESOURCES": "false",
    "PHOENIX_DISABLE_AGENT_ASSISTANT": "true",
    "DO_NOT_TRACK": "1",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env(port: int, grpc_port: int, workdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PHOENIX_", "OTEL_"))}
    env.update(OFFLINE_ENV)
    env.update(
        {
            "PHOENIX_HOST": "127.0.0.1",
            "PHOENIX_PORT": str(port),
            "PHOENIX_GRPC_PORT": str(grpc_port),
            "PHOENIX_WORKING_DIR": str(workdir),
        }
    )
    return env


def start(
    port: int, workdir: Path, grpc_port: int | None = None, log: Path | None = None
) -> subprocess.Popen[bytes]:
    """``phoenix serve`` in the background; raises FileNotFoundError when the venv is missing."""
    exe = VENV / "bin" / "phoenix"
    if not exe.exists():
        raise FileNotFoundError(f"{exe} is missing: run `make phoenix-install`")
    workdir.mkdir(parents=True, exist_ok=True)
    out = (log or workdir / "phoenix.log").open("ab")
    return subprocess.Popen(
        [str(exe), "serve"],
        env=server_env(port, grpc_port or free_port(), workdir),
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def wait_ready(port: int, timeout_s: float = 180.0, proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"phoenix exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"phoenix not ready on port {port} after {timeout_s:.0f}s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=6006)
    ap.add_argument("--dir", type=Path, default=Path("var/phoenix"))
    args = ap.parse_args()
    proc = start(args.port, args.dir.resolve(), log=None)
    try:
        wait_ready(args.port, proc=proc)
        print(f"Phoenix on http://127.0.0.1:{args.port} (data in {args.dir}); Ctrl-C stops it.")
        print(f"Run the API with CTP_PHOENIX_URL=http://127.0.0.1:{args.port}")
        proc.wait()
    finally:
        proc.terminate()


if __name__ == "__main__":
    main()
