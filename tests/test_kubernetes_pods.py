"""deploy/kubernetes, the pods: replicas and probes, security context, pinned images, resources and egress
(schemas, secrets, configuration and commands: tests/test_kubernetes_manifests.py)."""

from __future__ import annotations

import ipaddress
import re
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from cds_service.audit.database import CONNECT_TIMEOUT_SECONDS
from cds_service.settings import Settings
from tests.deploy_trees import BASE, OVERLAYS, ROOT, TREES, config_text, parse, quantity, server, tree_id
from tests.kustomize import containers, find, pod_specs, render

DOCKERFILE = (ROOT / "Dockerfile").read_text()
DOCUMENTATION_NETS = [ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")]


@pytest.mark.parametrize("tree", TREES, ids=tree_id)
def test_replicas_probes_and_the_services_around_them(tree: Path) -> None:
    resources = render(tree)
    deployment, container = server(resources)
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    hpa, pdb, service = (
        find(resources, kind, "hamstring-cds") for kind in ("HorizontalPodAutoscaler", "PodDisruptionBudget", "Service")
    )
    assert hpa and pdb and service
    assert deployment["spec"]["replicas"] >= 2 and 2 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
    assert hpa["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"]
    assert pdb["spec"]["maxUnavailable"] == 1 and pdb["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    assert service["spec"]["selector"].items() <= pod_labels.items()
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert {p["targetPort"] for p in service["spec"]["ports"]} <= set(ports)
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    # /readyz pings the database: a probe shorter than its connect timeout unreadies every pod in an outage.
    assert container["readinessProbe"]["timeoutSeconds"] > CONNECT_TIMEOUT_SECONDS
    serve = parse(container["command"])
    assert (serve.command, serve.host, serve.port) == ("serve", "0.0.0.0", ports["http"])
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    # Metrics on the pod's address (a loopback listener cannot be scraped), on the port Prometheus is told.
    assert int(annotations["prometheus.io/port"]) == ports["metrics"] == int(env["CDS_METRICS_PORT"])
    assert env["CDS_METRICS_HOST"] == "0.0.0.0" and annotations["prometheus.io/path"] == "/metrics"


@pytest.mark.parametrize("tree", TREES, ids=tree_id)
def test_pods_run_as_the_image_user_without_privileges_on_a_read_only_root(tree: Path) -> None:
    uid = int(re.search(r"useradd .*--uid (\d+) .*cds$", DOCKERFILE, re.M)[1])  # type: ignore[index]
    instance = re.search(r"CDS_INSTANCE_PATH=(\S+)", DOCKERFILE)[1]  # type: ignore[index]
    for resource, spec in pod_specs(render(tree)):
        name = resource["metadata"]["name"]
        pod = spec["securityContext"]
        assert (pod["runAsNonRoot"], pod["runAsUser"], pod["seccompProfile"]) == (True, uid, {"type": "RuntimeDefault"})
        assert spec["automountServiceAccountToken"] is False, name
        volumes = {v["name"]: v for v in spec["volumes"]}
        assert all(v["emptyDir"].get("sizeLimit") for v in volumes.values() if "emptyDir" in v), name
        for container in spec["containers"]:
            context = container["securityContext"]
            assert context["runAsNonRoot"] is True and context["runAsUser"] == uid, name
            assert context["allowPrivilegeEscalation"] is False and context["readOnlyRootFilesystem"] is True, name
            assert context["capabilities"] == {"drop": ["ALL"]} and not context.get("privileged"), name
            env = {e["name"]: e.get("value") for e in container["env"]}
            writable = {m["mountPath"] for m in container["volumeMounts"] if not m.get("readOnly")}
            # The only places the service writes: the instance folder (journal, spool, replay fallback,
            # gunicorn's control socket under HOME) and /tmp (gunicorn's worker files).
            assert writable == {"/tmp", instance} and env["CDS_INSTANCE_PATH"] == env["HOME"] == instance, name
            assert all("emptyDir" in volumes[m["name"]] for m in container["volumeMounts"] if not m.get("readOnly"))
            spool = Settings(instance_path=Path(instance)).spool_file
            assert spool.parent == Path(instance) and "CDS_AUDIT_SPOOL_FILE" not in env, name


def test_images_are_pinned_to_a_released_version() -> None:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert {c["image"] for c in containers(render(BASE))} == {f"hamstring-rehab-cds:{version}"}
    for tree in OVERLAYS:
        for container in containers(render(tree)):
            assert re.fullmatch(r"[\w./-]+(:\d+\.\d+\.\d+[\w.-]*|@sha256:[0-9a-f]{64})", container["image"]), tree


@pytest.mark.parametrize("tree", TREES, ids=tree_id)
def test_every_container_has_requests_and_limits_and_the_server_a_core_per_worker(tree: Path) -> None:
    for container in containers(render(tree)):
        resources = container["resources"]
        for kind in ("cpu", "memory"):
            assert quantity(resources["requests"][kind]) <= quantity(resources["limits"][kind]), container["name"]
    _, container = server(render(tree))
    # A gunicorn worker runs its requests on one core at a time (the GIL): a lower limit throttles it.
    assert quantity(container["resources"]["limits"]["cpu"]) >= parse(container["command"]).workers


@pytest.mark.parametrize("tree", TREES, ids=tree_id)
def test_egress_goes_only_to_dns_postgresql_and_the_configured_fhir_and_key_servers(tree: Path) -> None:
    resources = render(tree)
    policy = find(resources, "NetworkPolicy", "hamstring-cds")
    assert policy is not None and "Egress" in policy["spec"]["policyTypes"]
    for resource, _ in pod_specs(resources):  # every pod of the tree is under the policy
        labels = resource["spec"].get("template") or resource["spec"]["jobTemplate"]["spec"]["template"]
        assert policy["spec"]["podSelector"]["matchLabels"].items() <= labels["metadata"]["labels"].items()
    config = Settings(**tomllib.loads(config_text(resources)))
    urls = [*config.fhir_server_allowlist, *(u for i in config.auth.issuers for u in [i.jwks_url, *i.allowed_jku] if u)]
    https_ports = {urlsplit(u).port or 443 for u in urls}
    env = {e["name"]: e.get("value") for e in server(resources)[1]["env"]}
    if env.get("OTEL_EXPORTER_OTLP_ENDPOINT"):  # traces go to the site's collector (docs/observability.md)
        https_ports.add(urlsplit(env["OTEL_EXPORTER_OTLP_ENDPOINT"]).port or 4318)
    seen_ports = set()
    for rule in policy["spec"]["egress"]:
        assert rule.get("to") and rule.get("ports"), rule  # never "anywhere" nor "any port"
        ports = {p["port"] for p in rule["ports"]}
        seen_ports |= ports
        if ports == {53}:
            assert rule["to"][0]["podSelector"]["matchLabels"] == {"k8s-app": "kube-dns"}
            continue
        blocks = [ipaddress.ip_network(peer["ipBlock"]["cidr"]) for peer in rule["to"]]
        assert all(
            b.prefixlen >= 16 and "except" not in peer["ipBlock"] for b, peer in zip(blocks, rule["to"], strict=True)
        )
        if tree == BASE:  # fails closed: documentation addresses until a site sets its own
            assert all(any(b.subnet_of(n) for n in DOCUMENTATION_NETS) for b in blocks), rule
        else:
            assert ports == {5432} or ports <= https_ports, rule
    assert 53 in seen_ports and 5432 in seen_ports
    assert tree == BASE or https_ports <= seen_ports
