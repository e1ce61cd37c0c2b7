"""Encoder variants (``CTP_ENCODER``): the same vectors as torch within the quality rule, their own
versions, no torch at serving time, and no serving with an artifact built by another encoder."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from app.index.embedder import Encoder
from app.index.encoders import EncoderMismatch, check_encoder, open_encoder
from app.index.onnx_encoder import OnnxEncoder, export_onnx, shared_key

TEXTS = ["black running jacket", "stainless steel kitchen pan", "", "a gift for my dad who loves fishing"]


@pytest.fixture(scope="module")
def onnx_dirs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    var = tmp_path_factory.mktemp("var")
    export_onnx(var, "onnx")
    export_onnx(var, "onnx-int8")
    return var


def test_onnx_fp32_matches_torch(encoder: Encoder, onnx_dirs: Path) -> None:
    onnx = open_encoder("onnx", onnx_dirs)
    np.testing.assert_allclose(onnx.encode(TEXTS), encoder.encode(TEXTS), atol=1e-4)


def test_onnx_int8_is_close_to_torch_and_unit_length(encoder: Encoder, onnx_dirs: Path) -> None:
    vecs = open_encoder("onnx-int8", onnx_dirs).encode(TEXTS)
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    assert float((vecs * encoder.encode(TEXTS)).sum(axis=1).min()) > 0.97


def test_batching_does_not_change_onnx_vectors(onnx_dirs: Path) -> None:
    onnx = open_encoder("onnx", onnx_dirs)
    texts = [f"cotton tee number {i}" for i in range(7)]
    np.testing.assert_allclose(onnx.encode(texts, batch_size=2), onnx.encode(texts), atol=1e-5)


def test_versions_name_weights_and_variant(encoder: Encoder, onnx_dirs: Path) -> None:
    fp32, int8 = open_encoder("onnx", onnx_dirs), open_encoder("onnx-int8", onnx_dirs)
    assert fp32.version.startswith(encoder.version + "+onnx-fp32@")
    assert int8.version.startswith(encoder.version + "+onnx-int8@")
    assert len({encoder.version, fp32.version, int8.version}) == 3


def test_export_is_idempotent(onnx_dirs: Path) -> None:
    first = export_onnx(onnx_dirs, "onnx")
    meta = (first / "meta.json").read_text()
    assert export_onnx(onnx_dirs, "onnx") == first
    assert (first / "meta.json").read_text() == meta


def test_artifact_from_other_weights_is_refused(onnx_dirs: Path, tmp_path: Path) -> None:
    src = export_onnx(onnx_dirs, "onnx")
    meta = json.loads((src / "meta.json").read_text())
    (tmp_path / "model.onnx").symlink_to(src / "model.onnx")
    (tmp_path / "meta.json").write_text(json.dumps({**meta, "weights": "all-MiniLM-L6-v2@000000000000"}))
    with pytest.raises(ValueError, match="other weights"):
        OnnxEncoder(tmp_path)


def test_onnx_serving_does_not_import_torch(onnx_dirs: Path) -> None:
    probe = (
        "import sys; from pathlib import Path; from app.index.encoders import open_encoder; "
        f"e = open_encoder('onnx-int8', Path({str(onnx_dirs)!r})); e.encode_query('red shoes'); "
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "False"


def test_unknown_variant_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown encoder 'bert-large'"):
        open_encoder("bert-large", tmp_path)


def test_check_encoder_refuses_another_encoder() -> None:
    with pytest.raises(EncoderMismatch, match="built with encoder a@1 but CTP_ENCODER serves b@2"):
        check_encoder("ranker v1", "a@1", "b@2")


def test_check_encoder_accepts_same_and_unrecorded() -> None:
    check_encoder("ranker v1", "a@1", "a@1")
    check_encoder("ranker v1", None, "a@1")


def test_a_fresh_var_dir_copies_the_shared_export_without_torch(onnx_dirs: Path, tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shutil.copytree(export_onnx(onnx_dirs, "onnx-int8"), shared / shared_key("onnx-int8"))
    probe = (
        "import sys; from pathlib import Path; from app.index.encoders import open_encoder; "
        f"e = open_encoder('onnx-int8', Path({str(tmp_path / 'fresh')!r}), shared=Path({str(shared)!r})); "
        "print(e.version); print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    version, torch_loaded = out.stdout.strip().splitlines()[-2:]
    assert version == OnnxEncoder(export_onnx(onnx_dirs, "onnx-int8")).version  # the same graph
    assert torch_loaded == "False"  # nothing was exported


def test_a_damaged_shared_export_is_not_used(onnx_dirs: Path, tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    key = shared / shared_key("onnx")
    shutil.copytree(export_onnx(onnx_dirs, "onnx"), key)
    (key / "model.onnx").write_bytes(b"not a graph")
    made = export_onnx(tmp_path / "fresh", "onnx", shared)
    assert OnnxEncoder(made).version == OnnxEncoder(export_onnx(onnx_dirs, "onnx")).version
