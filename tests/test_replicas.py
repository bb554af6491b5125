"""Three `hamstring-cds serve` instances on one PostgreSQL database (issue 17 §3), each with its own instance
folder, over real HTTP on 127.0.0.1: signed calls round-robin share one audit trail, one jti replay check,
one feedback join and one review; a rolling restart (SIGTERM, one instance at a time) under load fails no
call and loses or duplicates no audit record. Bounded: 60 calls, then about 20 s of load from two threads.
Skipped, saying why, without CDS_TEST_POSTGRES_URL."""

from __future__ import annotations

import itertools
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from werkzeug.security import generate_password_hash

from cds_service.auth.devkeys import create_dev_issuer
from tests.audit.support import NO_POSTGRES, POSTGRES_URL, ROOT, free_port, postgres_schema, wait_until
from tests.audit.test_journal import KILLED_WRITER
from tests.replicas import (
    REVIEWER,
    SIGN,
    Instance,
    NotStarted,
    SlowCall,
    audit_counts,
    hook_body,
    instance_env,
    post,
    review_get,
    reviewed_calls,
    token,
)

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason=NO_POSTGRES)


@dataclass
class Cluster:
    instances: list[Instance]
    database_url: str
    issuer: Path


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    assert POSTGRES_URL
    work = tmp_path_factory.mktemp("replicas")
    issuer = create_dev_issuer(work / "issuer")
    with postgres_schema(POSTGRES_URL) as url:  # a schema of this run's own, dropped afterwards
        env = instance_env(work / "unused", url, issuer.config, generate_password_hash(REVIEWER[1]))
        instances = [Instance(name, free_port(), work / name, {**env, "CDS_INSTANCE_PATH": str(work / name)})
                     for name in ("a", "b", "c")]
        try:
            for instance in instances:
                instance.launch()
            for instance in instances:
                instance.wait_ready()
            yield Cluster(instances, url, issuer.folder)
        finally:
            for instance in instances:
                if instance.process is not None and instance.process.poll() is None:
                    instance.terminate()
    for instance in instances:
        assert "Traceback" not in instance.log.read_text(), instance.log.read_text()[-3000:]


def test_round_robin_calls_share_replay_check_audit_feedback_and_review(cluster: Cluster) -> None:
    ports = [i.port for i in cluster.instances]
    answered: dict[str, tuple[int, list[dict]]] = {}  # hookInstance -> (instance answering, its cards)
    feedback_to: dict[str, int] = {}  # hookInstance -> instance given the feedback on its cards
    for n in range(60):
        body, bearer = hook_body(), token(cluster.issuer)
        status, answer = post(ports[n % 3], SIGN, body, bearer)
        assert status == 200 and len(answer["cards"]) == 2, answer
        answered[body["hookInstance"]] = (n % 3, answer["cards"])
        if n < 3:  # the same token on the two other instances: one jti check for all
            for other in (ports[(n + 1) % 3], ports[(n + 2) % 3]):
                assert post(other, SIGN, hook_body(), bearer)[0] == 401
        if n % 10 == 0:  # straight away, to another instance: the call may not be committed yet
            accepted, overridden = answer["cards"]
            feedback = {"feedback": [
                {"card": accepted["uuid"], "outcome": "accepted", "outcomeTimestamp": "2026-11-23T10:00:00Z",
                 "acceptedSuggestions": [{"id": accepted["suggestions"][0]["uuid"]}]},
                {"card": overridden["uuid"], "outcome": "overridden", "outcomeTimestamp": "2026-11-23T10:01:00Z",
                 "overrideReason": {"reason": {"system": "urn:x", "code": "patient-declined"}}}]}
            path = SIGN + "/feedback"
            status, stored = post(ports[(n + 1) % 3], path, feedback, token(cluster.issuer, path))
            assert status == 200 and stored["received"] == 2, stored
            feedback_to[body["hookInstance"]] = (n + 1) % 3

    hook_instances = list(answered)
    assert wait_until(lambda: set(audit_counts(cluster.database_url, hook_instances).values()) == {1})
    for port in ports:  # every instance's review sees every instance's calls and the joined feedback
        listed = reviewed_calls(port)
        assert set(hook_instances) <= set(listed)
        overridden_calls = reviewed_calls(port, "outcome=overridden&")
        for hook_instance, giver in feedback_to.items():
            assert hook_instance in overridden_calls
            detail = review_get(port, f"/calls/{listed[hook_instance]}")
            answered_by, cards = answered[hook_instance]
            assert answered_by != giver
            outcomes = {c["uuid"]: [(f["outcome"], f["card_known"]) for f in c["feedback"]] for c in detail["cards"]}
            assert outcomes == {cards[0]["uuid"]: [("accepted", True)], cards[1]["uuid"]: [("overridden", True)]}


class Load(threading.Thread):
    """Calls round-robin until stopped; a refused connection goes to the next instance, as a load
    balancer does. Every call that started is either acknowledged (200) or a failure."""

    def __init__(self, cluster: Cluster, turns: Iterator[int]):
        super().__init__(daemon=True)
        self.cluster, self.turns = cluster, turns
        self.stop = threading.Event()
        self.acknowledged: list[tuple[str, int, float]] = []  # hookInstance, instance, answered at
        self.failed: list[str] = []

    def run(self) -> None:
        ports = [i.port for i in self.cluster.instances]
        while not self.stop.is_set():
            first = next(self.turns)
            for index in [(first + k) % 3 for k in range(3)]:
                body = hook_body()
                try:
                    status, answer = post(ports[index], SIGN, body, token(self.cluster.issuer))
                except NotStarted:
                    continue
                except OSError as exc:
                    self.failed.append(f"{index}: {exc!r}")
                    break
                if status == 200:
                    self.acknowledged.append((body["hookInstance"], index, time.monotonic()))
                else:
                    self.failed.append(f"{index}: HTTP {status} {answer}")
                break


def test_rolling_restart_under_load_fails_no_call_and_loses_no_record(cluster: Cluster) -> None:
    turns = itertools.count()
    load = [Load(cluster, turns) for _ in range(2)]
    for client in load:
        client.start()
    in_flight: list[str] = []
    try:
        time.sleep(1.5)
        for index, instance in enumerate(cluster.instances):
            slow = SlowCall(instance.port, token(cluster.issuer))  # half its body sent when SIGTERM comes
            time.sleep(0.3)
            instance.sigterm()
            time.sleep(0.3)
            assert slow.finish() == 200  # the call in flight is finished
            in_flight.append(slow.body["hookInstance"])
            assert instance.wait_exit() == 0
            stopped = time.monotonic()
            assert instance.journal_segments() == []  # its workers committed their journals before exiting
            answered_here = [h for c in load for h, i, at in c.acknowledged if i == index and at < stopped]
            answered_here.append(in_flight[-1])
            assert set(audit_counts(cluster.database_url, answered_here).values()) == {1}
            instance.launch()
            instance.wait_ready()
            time.sleep(1.0)
    finally:
        for client in load:
            client.stop.set()
        for client in load:
            client.join(30)
    assert [f for c in load for f in c.failed] == []
    acknowledged = [h for c in load for h, _, _ in c.acknowledged] + in_flight
    assert len(acknowledged) > 30  # the restarts happened under load
    assert wait_until(lambda: set(audit_counts(cluster.database_url, acknowledged).values()) == {1})


def test_a_restarted_instance_replays_what_its_killed_workers_left_before_it_serves(cluster: Cluster) -> None:
    instance = cluster.instances[2]
    assert instance.terminate() == 0
    script = KILLED_WRITER.format(root=str(ROOT), folder=str(instance.folder / "audit-journal"))
    assert subprocess.run([sys.executable, "-c", script], cwd=ROOT).returncode == -signal.SIGKILL
    assert len(instance.journal_segments()) == 2  # a worker SIGKILLed with 60 records not committed
    instance.launch()
    instance.wait_ready()
    assert instance.journal_segments() == []
    left = [f"call-{n:04d}" for n in range(60)]  # record ids of tests/audit/test_journal.py's records
    assert set(audit_counts(cluster.database_url, left, "record_id").values()) == {1}  # before any call came


WORKER_KILLED_AT_GRACEFUL_TIMEOUT = """
import os, signal, sys
from pathlib import Path
sys.path.insert(0, {root!r})
from cds_service.audit.journal import Journal
from tests.audit.test_journal import record
journal = Journal(Path({folder!r}))
for number in range(200, 230):
    journal.append(record(number))
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_records_a_worker_killed_at_shutdown_left_are_committed_before_the_instance_exits(
        cluster: Cluster) -> None:
    """A worker whose calls outlast gunicorn's graceful timeout is killed with records still in its journal. In a
    pod the instance folder goes with the pod, so the master commits them once every worker has exited, not at
    the next start on the same folder."""
    instance = cluster.instances[2]  # no call since it started: no writer thread of its own sweeps the journal
    script = WORKER_KILLED_AT_GRACEFUL_TIMEOUT.format(root=str(ROOT), folder=str(instance.folder / "audit-journal"))
    assert subprocess.run([sys.executable, "-c", script], cwd=ROOT).returncode == -signal.SIGKILL
    left = [f"call-{n:04d}" for n in range(200, 230)]
    assert set(audit_counts(cluster.database_url, left, "record_id").values()) == {0}
    assert instance.terminate() == 0
    assert instance.journal_segments() == []
    assert set(audit_counts(cluster.database_url, left, "record_id").values()) == {1}
    assert "replayed at shutdown" in instance.log.read_text()
