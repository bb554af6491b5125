"""deploy/kubernetes: every rendered resource is valid for the Kubernetes API; no secret is committed; the
configuration loads; the Job and CronJob run commands the CLI has (the pods: tests/test_kubernetes_pods.py).

The base and each overlay are rendered by tests/kustomize.py (no kubectl here). kubernetes-validate needs
no network: it ships the Kubernetes JSON schemas of each release inside the package and resolves their
`$ref`s from that copy; `no_network` makes any connection attempt fail the test to keep it so.
"""

from __future__ import annotations

import socket
import tomllib
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest

from cds_service.auth.registry import AuthConfigError, build_authenticator
from cds_service.settings import Settings
from tests.deploy_trees import BASE, DEPLOY, TREES, config_text, parse, server, tree_id
from tests.kustomize import UnsupportedKustomization, containers, find, load_documents, render

KUBERNETES_VERSIONS = ("1.30.0", "1.35.0")  # the oldest release the manifests claim, and a current one
SECRET_SETTINGS = {"CDS_DATABASE_URL", "CDS_AUDIT_PSEUDONYM_SECRET", "CDS_REVIEW_USERS"}


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the manifest checks tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("tree", TREES, ids=tree_id)
def test_every_rendered_resource_is_valid_for_the_kubernetes_api(tree: Path, version: str, no_network: None) -> None:
    for resource in render(tree):
        try:  # strict: an unknown or misspelt field is an error, not ignored as the API server would
            kubernetes_validate.validate(resource, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(
                f"{tree_id(tree)}: {resource['kind']}/{resource['metadata']['name']}: {exc.message} "
                f"at {'.'.join(map(str, exc.path))}"
            )


def test_every_yaml_file_is_rendered_or_a_kustomization_and_patches_need_their_target(tmp_path: Path) -> None:
    used = {tree / "kustomization.yaml" for tree in TREES}
    for tree in TREES:
        spec = load_documents(tree / "kustomization.yaml")[0]
        used |= {tree / entry for entry in spec.get("resources", []) if not (tree / entry).is_dir()}
        used |= {tree / patch["path"] for patch in spec.get("patches", [])}
    assert set(DEPLOY.rglob("*.yaml")) == used
    (tmp_path / "kustomization.yaml").write_text(f"resources: [{BASE}]\npatches: [{{path: p.yaml}}]\n")
    (tmp_path / "p.yaml").write_text("kind: Deployment\nmetadata: {name: no-such-deployment}\n")
    with pytest.raises(UnsupportedKustomization, match="no Deployment no-such-deployment"):
        render(tmp_path)


@pytest.mark.parametrize("tree", TREES, ids=tree_id)
def test_secrets_are_referenced_never_committed(tree: Path) -> None:
    resources = render(tree)
    assert not [r for r in resources if r["kind"] == "Secret"]
    assert not {"database_url", "audit_pseudonym_secret", "review_users"} & set(tomllib.loads(config_text(resources)))
    for container in containers(resources):
        for env in container["env"]:
            assert env["name"] not in SECRET_SETTINGS or "value" not in env, env
    _, container = server(resources)
    refs = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in container["env"] if "valueFrom" in e}
    assert {refs[n]["name"] for n in SECRET_SETTINGS} == {"hamstring-cds-secrets"}
    assert not refs["CDS_DATABASE_URL"].get("optional") and not refs["CDS_AUDIT_PSEUDONYM_SECRET"].get("optional")


@pytest.mark.parametrize("tree", TREES, ids=tree_id)
def test_the_configuration_loads_and_an_overlay_trusts_an_issuer(
    tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    resources = render(tree)
    (tmp_path / "cds.toml").write_text(config_text(resources))
    _, container = server(resources)
    for env in container["env"]:
        if env["name"].startswith("CDS_"):
            assert env["name"].removeprefix("CDS_").lower() in Settings.model_fields, env["name"]
            secret = {"CDS_DATABASE_URL": "postgresql+psycopg://cds@db.example.org/cds"}.get(env["name"], "s" * 32)
            monkeypatch.setenv(env["name"], env.get("value", secret))
    monkeypatch.setenv("CDS_CONFIG", str(tmp_path / "cds.toml"))
    monkeypatch.delenv("CDS_REVIEW_USERS")
    settings = Settings()
    assert settings.database_migrate_on_start is False  # the migration Job's work, before a rollout
    assert "health" in settings.auth.public_endpoints  # the kubelet's probes carry no token
    if tree == BASE:  # not a site: refuses to start
        with pytest.raises(AuthConfigError, match="no issuer is trusted"):
            build_authenticator(settings, replay=object())  # type: ignore[arg-type]
    else:
        assert build_authenticator(settings, replay=object())  # type: ignore[arg-type]


@pytest.mark.parametrize("tree", TREES, ids=tree_id)
def test_job_and_cronjob_run_commands_the_cli_has(tree: Path) -> None:
    resources = render(tree)
    job, cronjob = (
        find(resources, "Job", "hamstring-cds-db-upgrade"),
        find(resources, "CronJob", "hamstring-cds-firing-rate-monitor"),
    )
    assert job and cronjob
    upgrade = parse(job["spec"]["template"]["spec"]["containers"][0]["command"])
    assert (upgrade.command, upgrade.action) == ("db", "upgrade")
    monitor = parse(cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["command"])
    assert (monitor.command, monitor.audit_command) == ("audit", "monitor")
    assert cronjob["spec"]["jobTemplate"]["spec"]["backoffLimit"] == 0  # exit 1 means flagged: no retry
