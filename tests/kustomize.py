"""Renders the kustomize trees under deploy/kubernetes without kubectl, for tests/test_kubernetes_manifests.py.

It implements only what those trees use, and refuses anything else (a new kustomization key, a patch that
names a resource the base lacks, a list whose strategic-merge rule it does not know), so a tree that grew
past it fails the test instead of being rendered wrongly: `resources` (files and folders), `namespace`,
`images`, `replicas`, `configMapGenerator` (files; create or replace) and `patches` (strategic merge,
by file). A generated ConfigMap keeps its plain name (kustomize appends a hash and rewrites references).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

Resource = dict[str, Any]

SUPPORTED = {"apiVersion", "kind", "resources", "namespace", "images", "replicas", "configMapGenerator", "patches"}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "PersistentVolume", "StorageClass"}
# Lists merged item by item on `name`, as strategic merge does for these fields (patchMergeKey: name) ...
MERGED_BY_NAME = {"containers", "initContainers", "env", "volumes"}
# ... and lists it replaces whole (no patch strategy in the Kubernetes API).
REPLACED = {"egress", "ingress", "metrics", "command", "args", "from", "to", "ports", "policies", "drop"}


class UnsupportedKustomization(ValueError):
    pass


def load_documents(path: Path) -> list[Resource]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


def render(folder: Path) -> list[Resource]:
    """The resources `kubectl kustomize folder` would print, in the same shape (ConfigMap names unhashed)."""
    spec = load_documents(folder / "kustomization.yaml")[0]
    unknown = set(spec) - SUPPORTED
    if unknown:
        raise UnsupportedKustomization(f"{folder}: {sorted(unknown)} not rendered by tests/kustomize.py")
    resources: list[Resource] = []
    for entry in spec.get("resources", []):
        target = (folder / entry).resolve()
        resources += render(target) if target.is_dir() else load_documents(target)
    for generator in spec.get("configMapGenerator", []):
        _generate(folder, resources, generator)
    for patch in spec.get("patches", []):
        if set(patch) != {"path"}:
            raise UnsupportedKustomization(f"{folder}: patch {patch} (only `path:` strategic merge patches)")
        for document in load_documents(folder / patch["path"]):
            target = find(resources, document["kind"], document["metadata"]["name"])
            if target is None:
                raise UnsupportedKustomization(
                    f"{folder / patch['path']}: no {document['kind']} {document['metadata']['name']} to patch"
                )
            merge(target, document)
    for image in spec.get("images", []):
        _set_image(resources, image)
    for replica in spec.get("replicas", []):
        target = find(resources, "Deployment", replica["name"])
        if target is None:
            raise UnsupportedKustomization(f"{folder}: replicas of unknown Deployment {replica['name']}")
        target["spec"]["replicas"] = replica["count"]
    if "namespace" in spec:
        for resource in resources:
            if resource["kind"] not in CLUSTER_SCOPED:
                resource["metadata"]["namespace"] = spec["namespace"]
    return resources


def find(resources: list[Resource], kind: str, name: str) -> Resource | None:
    return next((r for r in resources if r["kind"] == kind and r["metadata"]["name"] == name), None)


def merge(target: dict[str, Any], patch: dict[str, Any], key: str = "") -> None:
    for name, value in patch.items():
        current = target.get(name)
        if isinstance(value, dict) and isinstance(current, dict):
            merge(current, value, name)
        elif isinstance(value, list) and isinstance(current, list) and name in MERGED_BY_NAME:
            for item in value:
                match = next((c for c in current if c.get("name") == item.get("name")), None)
                if match is None:
                    current.append(copy.deepcopy(item))
                else:
                    merge(match, item, name)
        elif isinstance(value, list) and name not in REPLACED:
            raise UnsupportedKustomization(f"patch of list {key}.{name}: merge rule not known to tests/kustomize.py")
        else:
            target[name] = copy.deepcopy(value)


def _generate(folder: Path, resources: list[Resource], generator: dict[str, Any]) -> None:
    if set(generator) - {"name", "files", "behavior"}:
        raise UnsupportedKustomization(f"{folder}: configMapGenerator {generator['name']}: files only")
    data = {}
    for entry in generator["files"]:
        key, _, file = entry.partition("=")
        data[key if file else Path(key).name] = (folder / (file or key)).read_text()
    existing = find(resources, "ConfigMap", generator["name"])
    behavior = generator.get("behavior", "create")
    if behavior == "replace" and existing is not None:
        existing["data"] = data
    elif behavior == "create" and existing is None:
        resources.append(
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": generator["name"]}, "data": data}
        )
    else:
        raise UnsupportedKustomization(
            f"{folder}: configMapGenerator {generator['name']}: {behavior} "
            f"({'exists' if existing else 'not in the base'})"
        )


def _set_image(resources: list[Resource], image: dict[str, Any]) -> None:
    for container in containers(resources):
        name = container["image"].split("@")[0]
        if ":" in name.rsplit("/", 1)[-1]:  # a tag, not a registry's port
            name = name.rsplit(":", 1)[0]
        if name == image["name"]:
            container["image"] = f"{image.get('newName', name)}:{image['newTag']}"


def pod_specs(resources: list[Resource]) -> list[tuple[Resource, dict[str, Any]]]:
    """(resource, pod spec) of every Deployment, Job and CronJob."""
    specs = []
    for resource in resources:
        if resource["kind"] in ("Deployment", "Job"):
            specs.append((resource, resource["spec"]["template"]["spec"]))
        elif resource["kind"] == "CronJob":
            specs.append((resource, resource["spec"]["jobTemplate"]["spec"]["template"]["spec"]))
    return specs


def containers(resources: list[Resource]) -> list[dict[str, Any]]:
    return [c for _, spec in pod_specs(resources) for c in spec.get("containers", []) + spec.get("initContainers", [])]
