"""Choose and open the encoder variant named by ``CTP_ENCODER`` (the composition roots call this).

| variant | what runs a query | artifact |
|---|---|---|
| ``torch`` | sentence-transformers on torch, fp32 (the reference) | the packaged weights |
| ``onnx`` | ONNX Runtime, fp32 graph exported locally | ``var/encoders/onnx-<weights>/`` |
| ``onnx-int8`` | the same graph, MatMul weights int8 per channel (dynamic quantisation) | ``var/encoders/onnx-int8-<weights>/`` |
| ``static`` | model2vec static embedding distilled locally (a different vector space) | ``var/encoders/static-<weights>/`` |

A missing artifact is made on first use (export or distillation, under a file lock), which
needs torch; ``ctp build`` does this, so a worker only loads it.
"""

from __future__ import annotations

from pathlib import Path

from app.index.encoder_base import ENCODER_VARIANTS, BaseEncoder


def open_encoder(
    variant: str, var_dir: Path, threads: int = 1, cache_size: int = 2048, shared: Path | None = None
) -> BaseEncoder:
    """The encoder ``variant`` with ``threads`` intra-op threads, making its artifact if missing
    (copied from ``shared`` when an identical export is kept there, see ``export_onnx``)."""
    if variant == "torch":
        from app.index.embedder import TorchEncoder

        return TorchEncoder(threads=threads, cache_size=cache_size)
    if variant in ("onnx", "onnx-int8"):
        from app.index.onnx_encoder import OnnxEncoder, export_onnx

        return OnnxEncoder(export_onnx(var_dir, variant, shared), threads=threads, cache_size=cache_size)
    if variant == "static":
        from app.index.static_encoder import StaticEncoder, distill_static

        return StaticEncoder(distill_static(var_dir), cache_size=cache_size)
    raise ValueError(f"unknown encoder {variant!r}: one of {', '.join(ENCODER_VARIANTS)}")


class EncoderMismatch(RuntimeError):
    """A built artifact (index, calibration, ranker) was made with another encoder than the one
    configured to serve: rebuild (``ctp build``, ``ctp recsys train``) with this encoder."""


def check_encoder(artifact: str, built_with: str | None, serving: str) -> None:
    """Refuse to serve ``artifact`` built with encoder ``built_with`` by encoder ``serving``.

    ``built_with`` None means the artifact predates the record (served, as before)."""
    if built_with is not None and built_with != serving:
        raise EncoderMismatch(
            f"the {artifact} was built with encoder {built_with} but CTP_ENCODER serves {serving}: "
            "run `ctp build` (and `ctp recsys train` for the LightGBM ranker) with this encoder"
        )
