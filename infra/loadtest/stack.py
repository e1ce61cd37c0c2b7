"""Start and stop the stack a load test runs against, on loopback only.

* PostgreSQL: a fresh database ``ctp_load_<hex>`` on 127.0.0.1, dropped afterwards unless kept;
* Redis: a dedicated db number (default 14; the tests use 15), flushed at the start so the
  embedding cache starts cold and the eval stream empty;
* Qdrant: **Qdrant Edge embedded** in each API worker (there is no Qdrant server on the machines
  these figures come from), built by ``ctp build`` into a temporary ``CTP_VAR_DIR``;
* the API: ``ctp serve --workers N --host 127.0.0.1`` on a free port, ready when ``/readyz`` is 200.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil
import redis
from sqlalchemy import create_engine, text

PG_ADMIN_URL = os.environ.get("CTP_LOAD_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _admin_exec(sql: str, **params: str) -> None:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(sql), params)
    finally:
        admin.dispose()


@dataclass
class Stack:
    workers: int = 2
    redis_db: int = 14
    var_dir: Path | None = None
    keep: bool = False
    log_dir: Path = field(default_factory=lambda: Path(tempfile.gettempdir()))
    db_name: str = field(default_factory=lambda: f"ctp_load_{uuid.uuid4().hex[:10]}")
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    _own_var: bool = False

    @property
    def database_url(self) -> str:
        return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{self.db_name}"

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:6379/{self.redis_db}"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        assert self.var_dir is not None
        return {
            **os.environ,
            "CTP_VAR_DIR": str(self.var_dir),
            "CTP_DATABASE_URL": self.database_url,
            "CTP_REDIS_URL": self.redis_url,
            "CTP_QDRANT_URL": "",
            "CTP_API_HOST": "127.0.0.1",
            "CTP_TORCH_THREADS": "1",
            "OMP_NUM_THREADS": "1",
            "HF_HUB_OFFLINE": "1",
            "TOKENIZERS_PARALLELISM": "false",
            # every simulated shopper comes from 127.0.0.1: per-IP limits would throttle the test
            "CTP_RATE_LIMIT_ENABLED": "false",
        }

    def _ctp(self) -> str:
        return str(Path(sys.executable).with_name("ctp"))

    def up(self, echo: object = print) -> None:
        say = echo if callable(echo) else print
        if self.var_dir is None:
            self.var_dir = Path(tempfile.mkdtemp(prefix="ctp-load-var-"))
            self._own_var = True
        _admin_exec(f'CREATE DATABASE "{self.db_name}"')
        redis.Redis.from_url(self.redis_url).flushdb()
        say(f"stack: database {self.db_name}, redis db {self.redis_db}, var {self.var_dir} (Qdrant Edge)")
        t0 = time.perf_counter()
        subprocess.run(
            [self._ctp(), "build"], env=self.env(), check=True, cwd=REPO, stdout=subprocess.DEVNULL
        )
        say(f"stack: ctp build in {time.perf_counter() - t0:.0f} s")
        log = (self.log_dir / "serve.log").open("wb")
        self.proc = subprocess.Popen(
            [
                self._ctp(),
                "serve",
                "--workers",
                str(self.workers),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            env=self.env(),
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.wait_ready()
        say(f"stack: {self.workers} API workers ready on {self.base_url}")

    def wait_ready(self, timeout_s: float = 240) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(
                    f"ctp serve exited with {self.proc.returncode}; see {self.log_dir}/serve.log"
                )
            try:
                if httpx.get(f"{self.base_url}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"the API was not ready in {timeout_s:.0f} s")

    def worker_processes(self) -> list[psutil.Process]:
        if self.proc is None:
            return []
        parent = psutil.Process(self.proc.pid)
        # ctp (typer) is the uvicorn supervisor; workers are spawned children (not the resource tracker)
        return [p for p in parent.children(recursive=True) if "spawn_main" in " ".join(p.cmdline())]

    def worker_rss_mb(self) -> list[float]:
        return [round(p.memory_info().rss / 2**20, 1) for p in self.worker_processes()]

    def worker_cpu_s(self) -> float:
        total = 0.0
        for p in self.worker_processes():
            t = p.cpu_times()
            total += t.user + t.system
        return total

    def down(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
        if not self.keep:
            _admin_exec(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n", n=self.db_name
            )
            _admin_exec(f'DROP DATABASE IF EXISTS "{self.db_name}"')
            if self._own_var and self.var_dir is not None:
                shutil.rmtree(self.var_dir, ignore_errors=True)
