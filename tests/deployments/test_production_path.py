"""The production path as files: the container image, docker compose and Kubernetes. Checked
without a Docker engine or a cluster: `docker compose config` validates the compose file, and
every command and setting the files use must be one Backbeat has."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import typer.main
import yaml

from backbeat.cli.app import app
from backbeat.settings.reference import env_names

REPO = Path(__file__).resolve().parents[2]
DEPLOYMENTS = REPO / "deployments"
COMMANDS = set(typer.main.get_command(app).commands)  # type: ignore[attr-defined]
SETTINGS = set(env_names()) | {"PREFECT_API_URL", "PREFECT_API_KEY"}


def compose() -> list[str]:
    """`docker compose` (the CLI plugin that `install-test-prerequisites.sh` builds)."""
    docker = shutil.which("docker")
    assert docker, "the docker client is missing"
    probe = subprocess.run([docker, "compose", "version"], capture_output=True, text=True)
    assert probe.returncode == 0, (
        "docker compose is missing: `./deployments/local/install-test-prerequisites.sh` builds it "
        f"(`make test` runs it first): {probe.stderr}"
    )
    return [docker, "compose"]


def backbeat_command(container: dict[str, Any]) -> str | None:
    """The backbeat subcommand a container runs (None for other programs)."""
    entrypoint = container.get("command") if "args" in container else None
    words = [*(entrypoint or []), *(container.get("args") or container.get("command") or [])]
    if words[:2] == ["/bin/sh", "-c"]:
        found = re.search(r"\bbackbeat (\w+)", words[2])
        return found.group(1) if found else None
    if words and words[0] in ("prefect",):
        return None
    return words[0] if words else "--help"


def test_docker_compose_config_accepts_the_file_and_wires_every_part() -> None:
    path = DEPLOYMENTS / "docker-compose.yml"
    result = subprocess.run(
        [*compose(), "-f", str(path), "config", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    services = json.loads(result.stdout)["services"]
    assert set(services) >= {"kafka", "redis", "prefect", "worker", "loader", "sessions", "api"}
    assert "KAFKA_PROCESS_ROLES" in services["kafka"]["environment"]  # KRaft, no ZooKeeper
    for name, service in services.items():
        if service["image"].startswith("backbeat"):
            command = service.get("command") or []
            if service.get("entrypoint"):
                assert service["entrypoint"][:3] == ["prefect", "worker", "start"], name
            else:
                assert command and command[0] in COMMANDS, (name, command)
            unknown = set(service["environment"]) - SETTINGS
            assert not unknown, (name, unknown)
            assert service["environment"]["BACKBEAT_KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
        for port in service.get("ports", []):
            assert port["host_ip"] == "127.0.0.1", (name, port)  # nothing published wider


def test_kubernetes_manifests_run_real_commands_with_known_settings() -> None:
    folder = DEPLOYMENTS / "kubernetes"
    kustomization = yaml.safe_load((folder / "kustomization.yaml").read_text())
    listed = set(kustomization["resources"])
    assert listed == {p.name for p in folder.glob("*.yaml")} - {"kustomization.yaml"}
    kinds, commands = set(), set()
    for name in listed:
        for document in yaml.safe_load_all((folder / name).read_text()):
            kinds.add(document["kind"])
            if document["kind"] == "ConfigMap":
                assert not set(document["data"]) - SETTINGS, document["data"]
            spec = document.get("spec", {})
            pod = spec.get("template", {}).get("spec", {})
            for container in pod.get("containers", []):
                assert container["image"] == "backbeat"
                command = backbeat_command(container)
                if command is not None:
                    assert command in COMMANDS, (name, container)
                    commands.add(command)
    assert {"StatefulSet", "Deployment", "Service", "Job", "HorizontalPodAutoscaler"} <= kinds
    assert {"topics", "load", "sessions", "api", "dashboard"} <= commands


def test_each_dataflow_cluster_lists_one_address_per_replica_through_its_headless_service() -> None:
    """-a names every pod of the StatefulSet, `<set>-<ordinal>.<service>:<port>`, in ordinal
    order, and the Service that resolves those names exists and is headless: scaling one
    without the other would start processes that wait for peers that never come."""
    folder = DEPLOYMENTS / "kubernetes"
    for name in ("loader.yaml", "sessions.yaml"):
        documents = list(yaml.safe_load_all((folder / name).read_text()))
        (stateful,) = [d for d in documents if d["kind"] == "StatefulSet"]
        spec = stateful["spec"]
        (service,) = [
            d
            for d in documents
            if d["kind"] == "Service" and d["metadata"]["name"] == spec["serviceName"]
        ]
        assert service["spec"]["clusterIP"] == "None", name
        (container,) = spec["template"]["spec"]["containers"]
        line = " ".join(container["args"])
        addresses = re.search(r'-a "([^"]+)"', line)
        assert addresses and '-i "${HOSTNAME##*-}"' in line, name
        (port,) = [p["port"] for p in service["spec"]["ports"]]
        set_name, service_name = stateful["metadata"]["name"], spec["serviceName"]
        expected = [f"{set_name}-{k}.{service_name}:{port}" for k in range(spec["replicas"])]
        assert addresses.group(1).split(";") == expected, name
        assert spec["podManagementPolicy"] == "Parallel", name
        assert spec["replicas"] >= 2, name


def test_the_image_copies_what_the_package_needs() -> None:
    dockerfile = (DEPLOYMENTS / "docker" / "Dockerfile").read_text()
    sources = re.findall(r"^COPY (?!--from)(.+) \S+$", dockerfile, re.M)
    copied = [s for line in sources for s in line.split()]
    for source in copied:
        assert (REPO / source).exists(), source
    # Everything the wheel is built from (pyproject's packages and force-includes) is copied.
    pyproject = (REPO / "pyproject.toml").read_text()
    for package in re.findall(r"packages = \[(.*)\]", pyproject)[0].replace('"', "").split(", "):
        assert package in copied, package
    assert "deployments/local/kafka/pom.xml" in copied and "warehouse_sql" in copied
    assert "uv sync --frozen --no-dev" in dockerfile  # from the lock file
