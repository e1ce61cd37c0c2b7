"""ONNX Runtime encoders: all-MiniLM-L6-v2 exported locally from the packaged weights.

``export_onnx`` runs once at build time (``ctp build``, or the first worker that finds the artifact
missing, under a file lock): it loads the packaged safetensors with transformers, wraps the
transformer with the same mean pooling and L2 normalisation as sentence-transformers, exports the
graph with ``torch.onnx.export`` (no download: HF_HUB_OFFLINE=1) and, for ``onnx-int8``, quantises
the weights of every MatMul dynamically to int8 (``onnxruntime.quantization.quantize_dynamic``;
activations are quantised per batch at run time, which uses the VNNI instructions of this CPU).

The artifact is a directory under ``<var_dir>/encoders/`` named by variant and weight hash, with
``model.onnx`` and ``meta.json`` (the sha256 of the graph, the torch/onnxruntime versions that
made it). The encoder's ``version`` ends in that graph hash, so an index or calibration built
with one graph is never served with another.

Serving needs only onnxruntime, tokenizers and numpy: torch is imported by the export alone.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import shutil
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np

from app.index.embedder import MODEL_NAME, model_path, weights_version
from app.index.encoder_base import BaseEncoder

log = logging.getLogger(__name__)

MAX_TOKENS = 256  # sentence_bert_config.json of the packaged model
ONNX_OPSET = 17
ARTIFACT_SCHEMA = 1
GRAPH = "model.onnx"
META = "meta.json"


def artifact_dir(var_dir: Path, variant: str) -> Path:
    """``<var_dir>/encoders/<variant>-<weights hash>``: one directory per variant and weights."""
    return Path(var_dir) / "encoders" / f"{variant}-{weights_version().split('@')[1]}"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _export_fp32(dest: Path) -> None:
    """Transformer + attention-masked mean pooling + L2 normalisation, one ONNX graph."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    import torch
    from transformers import AutoModel

    class Pooled(torch.nn.Module):
        def __init__(self, bert: torch.nn.Module) -> None:
            super().__init__()
            self.bert = bert

        def forward(
            self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
        ) -> torch.Tensor:
            hidden = self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            summed = (hidden * mask).sum(dim=1)
            mean = summed / mask.sum(dim=1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2.0, dim=1)

    bert = AutoModel.from_pretrained(str(model_path()), attn_implementation="eager")
    bert.eval()
    model = Pooled(bert)
    dummy = torch.ones((2, 8), dtype=torch.long)
    with torch.no_grad():
        torch.onnx.export(
            model,
            (dummy, dummy, torch.zeros_like(dummy)),
            str(dest),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["embedding"],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "seq"},
                "attention_mask": {0: "batch", 1: "seq"},
                "token_type_ids": {0: "batch", 1: "seq"},
                "embedding": {0: "batch"},
            },
            opset_version=ONNX_OPSET,
            do_constant_folding=True,
            dynamo=False,
        )


def _quantise_int8(src: Path, dest: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # Per-channel weight scales: per-tensor int8 measured mean cosine 0.964 to fp32 on the golden
    # queries (fails the 0.99 rule); per-channel 0.993 at the same speed (docs/performance.md).
    quantize_dynamic(
        str(src), str(dest), weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul"], per_channel=True
    )


def shared_key(variant: str) -> str:
    """The name of an export in the shared cache: the variant, the weights hash and everything
    else that makes the graph (artifact schema, opset, the torch and onnxruntime versions). Read
    from the installed packages' metadata, so finding a cached copy imports neither."""
    from importlib.metadata import version

    weights = weights_version().split("@")[1]
    return (
        f"{variant}-{weights}-s{ARTIFACT_SCHEMA}-op{ONNX_OPSET}"
        f"-torch{version('torch')}-ort{version('onnxruntime')}"
    )


def _copy_dir(src: Path, dest: Path) -> None:
    """``src`` copied to ``dest`` so that ``dest`` appears whole or not at all."""
    tmp = dest.parent / f".{dest.name}.tmp-{uuid.uuid4().hex[:6]}"
    try:
        shutil.copytree(src, tmp)
        _swap_in(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _swap_in(tmp: Path, dest: Path) -> None:
    """Move the finished directory ``tmp`` to ``dest``, replacing a half-made one (a crash before
    meta.json was written)."""
    if dest.exists():
        shutil.rmtree(dest)
    tmp.rename(dest)


def _from_shared(shared: Path, variant: str, target: Path) -> bool:
    """Copy the shared export of ``variant`` to ``target`` if there is one; whether it was."""
    src = shared / shared_key(variant)
    if not (src / META).exists():
        return False
    meta = json.loads((src / META).read_text())
    if meta.get("graph_sha256") != _sha256(src / GRAPH):  # a damaged copy is exported again
        log.warning("shared encoder export %s does not match its meta.json: ignored", src)
        return False
    _copy_dir(src, target)
    log.info("encoder %s copied from the shared export %s", variant, src)
    return True


def _to_shared(shared: Path, variant: str, target: Path) -> None:
    """Keep a copy of a fresh export for the next var dir (best effort: a cache)."""
    dest = shared / shared_key(variant)
    try:
        shared.mkdir(parents=True, exist_ok=True)
        if not (dest / META).exists():
            _copy_dir(target, dest)
    except OSError as exc:
        log.warning("could not keep the encoder export in %s: %s", shared, exc)


def export_onnx(var_dir: Path, variant: str, shared: Path | None = None) -> Path:
    """Make the ``variant`` ('onnx' or 'onnx-int8') artifact unless it exists; its directory.

    One exporter at a time per ``var_dir`` (file lock); the artifact appears atomically (a
    temporary directory renamed into place), so a worker never loads half a graph.

    ``shared`` (``CTP_ENCODER_CACHE_DIR``, used by ``ctp build``) is a directory of earlier
    exports, one per ``shared_key``: a build into a fresh var dir copies the identical export
    from there (its graph hash checked) instead of loading torch and exporting again, which was
    a third of a cold int8 ``ctp build`` (docs/performance.md). The copy has the same graph, so
    the encoder version, and with it every check that ties an index, a calibration or a ranker
    to its encoder, is unchanged."""
    if variant not in ("onnx", "onnx-int8"):
        raise ValueError(f"not an ONNX variant: {variant!r}")
    target = artifact_dir(var_dir, variant)
    if (target / META).exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with (target.parent / ".export.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (target / META).exists():  # another process exported it while we waited
            return target
        if shared is not None and _from_shared(shared, variant, target):
            return target
        t0 = time.perf_counter()
        tmp = target.parent / f".{target.name}.tmp-{uuid.uuid4().hex[:6]}"
        tmp.mkdir()
        try:
            import onnxruntime
            import torch

            if variant == "onnx":
                _export_fp32(tmp / GRAPH)
            else:
                _export_fp32(tmp / "fp32.onnx")
                _quantise_int8(tmp / "fp32.onnx", tmp / GRAPH)
                (tmp / "fp32.onnx").unlink()
            meta: dict[str, Any] = {
                "schema": ARTIFACT_SCHEMA,
                "variant": variant,
                "weights": weights_version(),
                "graph_sha256": _sha256(tmp / GRAPH),
                "opset": ONNX_OPSET,
                "torch": torch.__version__,
                "onnxruntime": onnxruntime.__version__,
                "max_tokens": MAX_TOKENS,
                "created_at": time.time(),
            }
            (tmp / META).write_text(json.dumps(meta, indent=1))
            _swap_in(tmp, target)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        log.info("exported encoder %s to %s in %.1f s", variant, target, time.perf_counter() - t0)
        if shared is not None:
            _to_shared(shared, variant, target)
    return target


def load_tokenizer(max_tokens: int = MAX_TOKENS) -> Any:
    """The packaged fast tokenizer (uncased WordPiece), truncating like sentence-transformers."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(model_path() / "tokenizer.json"))
    tok.enable_truncation(max_length=max_tokens)
    tok.no_padding()
    return tok


class OnnxEncoder(BaseEncoder):
    """ONNX Runtime session over an exported graph; ``threads`` intra-op threads, sequential."""

    def __init__(self, directory: Path, threads: int = 1, cache_size: int = 2048) -> None:
        import onnxruntime as ort

        if threads < 1:
            raise ValueError("threads must be >= 1")
        super().__init__(cache_size)
        meta = json.loads((Path(directory) / META).read_text())
        if meta.get("schema") != ARTIFACT_SCHEMA or meta.get("weights") != weights_version():
            raise ValueError(
                f"encoder artifact {directory} was made from other weights or schema: rebuild it"
            )
        self.variant = str(meta["variant"])
        fmt = "onnx-fp32" if self.variant == "onnx" else self.variant
        self.version = f"{weights_version()}+{fmt}@{str(meta['graph_sha256'])[:12]}"
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # One thread per worker: no spinning thread pool burning the other worker's core.
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(
            str(Path(directory) / GRAPH), sess_options=opts, providers=["CPUExecutionProvider"]
        )
        self._tokenizer = load_tokenizer(int(meta.get("max_tokens", MAX_TOKENS)))
        self._dim = int(self._session.get_outputs()[0].shape[1] or 384)
        self.name = MODEL_NAME

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.empty((0, self._dim), dtype=np.float32)
        encs = self._tokenizer.encode_batch(texts)
        width = max(len(e.ids) for e in encs)
        ids = np.zeros((len(encs), width), dtype=np.int64)
        mask = np.zeros((len(encs), width), dtype=np.int64)
        for row, e in enumerate(encs):
            ids[row, : len(e.ids)] = e.ids
            mask[row, : len(e.ids)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        out = self._session.run(None, feeds)[0]
        return np.asarray(out, dtype=np.float32)
