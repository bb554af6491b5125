"""The pods of deploy/kubernetes run as their manifests say: the migration Job, the service (signed calls, a
SIGTERM) and the monitor CronJob, each as the image's uid with the root file system read-only and only the
manifest's writable mounts (the instance folder, /tmp) writable, on PostgreSQL.

A private mount namespace stands in for the pod (`unshare -m`, which needs root): nothing it mounts is seen
outside it. The server listens on 127.0.0.1 here, not the manifest's 0.0.0.0 (this is the host's network).
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import create_engine, text

from cds_service.audit.database import normalize_url
from cds_service.auth.devkeys import create_dev_issuer, mint_dev_token
from tests.audit.support import NO_POSTGRES, POSTGRES_URL, example, free_port, postgres_schema
from tests.deploy_trees import BASE, parse, server
from tests.kustomize import find, render

pytestmark = [
    pytest.mark.skipif(not POSTGRES_URL, reason=NO_POSTGRES),
    pytest.mark.skipif(
        os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("setpriv"),
        reason="needs root, unshare and setpriv to stand in for a pod (a private mount namespace)",
    ),
]
RESOURCES = render(BASE)
DEPLOYMENT, CONTAINER = server(RESOURCES)
UID = DEPLOYMENT["spec"]["template"]["spec"]["securityContext"]["runAsUser"]
INSTANCE = next(e["value"] for e in CONTAINER["env"] if e["name"] == "CDS_INSTANCE_PATH")
CONFIG_DIR = "/var/lib/hamstring-cds-config"  # the ConfigMap's mount, beside the instance folder's tmpfs
BIN = Path(sys.executable).parent


def pod(command: list[str], config: Path) -> list[str]:
    """`command` as in the manifest's container: a tmpfs instance folder, the configuration read-only, /tmp
    writable (the host's, so a checkout under /tmp stays visible), everything else read-only; the image's uid."""
    writable = {m["mountPath"] for m in CONTAINER["volumeMounts"] if not m.get("readOnly")}
    assert writable == {INSTANCE, "/tmp"}
    parent = str(Path(INSTANCE).parent)
    script = " && ".join(
        [
            f"mount -t tmpfs -o size=64m tmpfs {parent}",  # only in this namespace: a place for the two mounts
            f"mkdir {INSTANCE} {CONFIG_DIR} && chown {UID}:{UID} {INSTANCE}",
            f"mount --bind -o ro {shlex.quote(str(config))} {CONFIG_DIR}",
            "mount --bind /tmp /tmp",
            "mount -o remount,bind,ro /",
            f"cd / && exec setpriv --reuid {UID} --regid {UID} --clear-groups {shlex.join(command)}",
        ]
    )
    return ["unshare", "-m", "--propagation", "private", "sh", "-c", script]


def container_env(resource_container: dict[str, Any], database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CDS_")}
    secrets = {"database-url": database_url, "pseudonym-secret": "k8s-test-only-not-for-real-patients"}
    for item in resource_container["env"]:
        if "value" in item:
            env[item["name"]] = item["value"]
        elif not item["valueFrom"]["secretKeyRef"].get("optional"):
            env[item["name"]] = secrets[item["valueFrom"]["secretKeyRef"]["key"]]
    if "CDS_CONFIG" in env:
        env["CDS_CONFIG"] = f"{CONFIG_DIR}/cds.toml"
    if "CDS_METRICS_PORT" in env:  # on this host's network: loopback, a free port
        env.update(CDS_METRICS_HOST="127.0.0.1", CDS_METRICS_PORT=str(free_port()))
    return env


def command_of(container: dict[str, Any], **replace: str) -> list[str]:
    parse(container["command"])  # the CLI takes it
    command = [str(BIN / container["command"][0]), *container["command"][1:]]
    for option, value in replace.items():
        command[command.index(f"--{option}") + 1] = value
    return command


def test_migrate_serve_and_monitor_on_a_read_only_root(tmp_path: Path) -> None:
    config = tmp_path / "config"
    create_dev_issuer(config, "ES384", False)  # cds.toml trusting it, beside its public key set
    config.chmod(0o755)
    probe = subprocess.run(
        pod([sys.executable, "-c", "import cds_service"], config), capture_output=True, text=True, timeout=120
    )
    if probe.returncode != 0:
        pytest.skip(f"this checkout cannot be read by uid {UID}: {probe.stderr.strip()[-200:]}")
    assert POSTGRES_URL
    with postgres_schema(POSTGRES_URL) as database_url:
        job = find(RESOURCES, "Job", "hamstring-cds-db-upgrade")
        assert job
        job_container = job["spec"]["template"]["spec"]["containers"][0]
        migrate = subprocess.run(
            pod(command_of(job_container), config),
            env=container_env(job_container, database_url),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert migrate.returncode == 0 and "schema revision" in migrate.stdout, migrate.stderr

        port = free_port()
        serve = command_of(CONTAINER, host="127.0.0.1", port=str(port))
        env = container_env(CONTAINER, database_url)
        process = subprocess.Popen(
            pod(serve, config),
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            ready = wait_ready(url, process)
            assert ready["status"] == "ready" and ready["store"] == "ok", ready
            aud = f"{url}/cds-services/hamstring-rehab-order-sign"
            for _ in range(3):
                token = mint_dev_token(aud, config)
                answer = requests.post(
                    aud, json=example("order-sign-violating"), timeout=30, headers={"Authorization": f"Bearer {token}"}
                )
                assert answer.status_code == 200 and answer.json()["cards"], answer.text
            # The workers' metrics files are in the instance folder, added up by the listener.
            scraped = requests.get(f"http://127.0.0.1:{env['CDS_METRICS_PORT']}/metrics", timeout=10).text
            assert (
                'cds_hook_request_duration_seconds_count{service="hamstring-rehab-order-sign",status="200"} 3.0'
                in scraped
            )
        finally:
            process.terminate()
            log = process.communicate(timeout=60)[0]
        assert process.returncode == 0, log
        assert "Read-only file system" not in log and '"level":"ERROR"' not in log, log
        engine = create_engine(normalize_url(database_url))
        with engine.connect() as db:
            assert db.execute(text("SELECT count(*) FROM audit_call")).scalar() == 3
            assert db.execute(text("SELECT count(*) FROM auth_replay")).scalar() == 3
        engine.dispose()

        cronjob = find(RESOURCES, "CronJob", "hamstring-cds-firing-rate-monitor")
        assert cronjob
        monitor_container = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
        monitor = subprocess.run(
            pod(command_of(monitor_container), config),
            env=container_env(monitor_container, database_url),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert monitor.returncode in (0, 1) and "baseline" in monitor.stdout, monitor.stderr  # 1: flagged


def wait_ready(url: str, process: subprocess.Popen[str]) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"serve exited: {process.communicate()[0]}")
        try:
            answer = requests.get(f"{url}/readyz", timeout=5)
            if answer.status_code == 200:
                return dict(answer.json())
        except requests.ConnectionError:
            pass
        time.sleep(0.3)
    pytest.fail("serve did not become ready within 60 s")
