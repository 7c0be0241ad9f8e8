"""Checks of rendered manifests without a cluster: Kubernetes' own schemas for the core kinds, Kueue's API rules for
the Kueue kinds, and the references between them.

Kueue's rules, as its API states them (kueue.x-k8s.io/v1beta2 types and the
ClusterQueue webhook, kubernetes-sigs/kueue `apis/kueue/v1beta2/*_types.go`,
`apis/kueue/webhooks/clusterqueue_webhook.go`):

- names and references (cohortName, flavor names, LocalQueue.spec.clusterQueue)
  are DNS-1123 subdomains of at most 253 characters;
- a ClusterQueue has at most 16 resourceGroups; each covers 1-64 resources
  and lists 1-64 flavors; a resource and a flavor appear in one group only;
  each flavor lists exactly the group's coveredResources, in the same order;
- nominalQuota is a non-negative quantity; borrowingLimit and lendingLimit
  are non-negative and only allowed with a cohortName (a Cohort: with a
  parentName); lendingLimit is at most nominalQuota;
- queueingStrategy is StrictFIFO or BestEffortFIFO; preemption policies are
  from their enums, and reclaimWithinCohort Never excludes a borrowWithinCohort
  policy other than Never;
- a ResourceFlavor has at most 8 nodeLabels and 8 nodeTaints, taint effects
  NoSchedule, PreferNoSchedule or NoExecute;
- a WorkloadPriorityClass value is an int32, its description at most 2048 characters.

And what makes the objects work together (Kueue marks a ClusterQueue
inactive, or a LocalQueue's workloads never admitted, otherwise): every
flavor a queue names exists as a ResourceFlavor; every LocalQueue names an
existing ClusterQueue, lives in a rendered Namespace, and that ClusterQueue's
namespaceSelector selects it. Unknown spec fields are reported too: a
misspelt field (v1beta1's `cohort` instead of `cohortName`) is silently
dropped by the API server.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from modelfleet.k8s import names

Manifest = dict[str, Any]
CORE_KINDS = {"Namespace", "ConfigMap", "Pod", "Job"}
KUEUE_KINDS = {"ResourceFlavor", "ClusterQueue", "LocalQueue", "WorkloadPriorityClass", "Cohort"}
KUBERNETES_VERSION = "1.35.0"
"""The Kubernetes API version core manifests are validated against (kubernetes-validate ships its schemas)."""

_SPEC_FIELDS = {
    "ClusterQueue": {"resourceGroups", "cohortName", "queueingStrategy", "namespaceSelector", "flavorFungibility", "preemption",
                     "admissionChecksStrategy", "stopPolicy", "fairSharing", "admissionScope", "concurrentAdmissionPolicy"},
    "Cohort": {"parentName", "resourceGroups", "fairSharing"},
    "LocalQueue": {"clusterQueue", "stopPolicy", "fairSharing", "wallTimePolicy"},
    "ResourceFlavor": {"nodeLabels", "nodeTaints", "tolerations", "topologyName", "resourceWeights"},
}
_TOP_FIELDS = {"WorkloadPriorityClass": {"apiVersion", "kind", "metadata", "value", "description"}}
_PREEMPTION = {"reclaimWithinCohort": {"Never", "LowerPriority", "Any"},
               "withinClusterQueue": {"Never", "LowerPriority", "LowerOrNewerEqualPriority"}}


def quantity(value: Any) -> Decimal | None:
    """A Kubernetes quantity's value, or None if it is not one."""
    from kubernetes.utils.quantity import parse_quantity

    try:
        return Decimal(parse_quantity(value))
    except (ValueError, TypeError, ArithmeticError):
        return None


def _where(obj: Manifest) -> str:
    meta = obj.get("metadata") or {}
    scope = f"{meta['namespace']}/" if meta.get("namespace") else ""
    return f"{obj.get('kind')} {scope}{meta.get('name')}"


def _subdomain(value: Any) -> bool:
    return isinstance(value, str) and len(value) <= 253 and bool(names.DNS1123_SUBDOMAIN.match(value))


def _resource_groups(where: str, groups: Any, has_parent: bool, parent_field: str) -> list[str]:
    problems: list[str] = []
    if not isinstance(groups, list) or len(groups) > 16:
        return [f"{where}: resourceGroups must be a list of at most 16 groups"]
    seen_resources: set[str] = set()
    seen_flavors: set[str] = set()
    total_flavors = 0
    for i, group in enumerate(groups):
        at = f"{where}: resourceGroups[{i}]"
        covered = group.get("coveredResources")
        flavors = group.get("flavors")
        unknown = set(group) - {"coveredResources", "flavors"}
        if unknown:
            problems.append(f"{at}: unknown field(s) {sorted(unknown)}")
        if not isinstance(covered, list) or not 1 <= len(covered) <= 64:
            problems.append(f"{at}.coveredResources must list 1 to 64 resources")
            continue
        if not isinstance(flavors, list) or not 1 <= len(flavors) <= 64:
            problems.append(f"{at}.flavors must list 1 to 64 flavors")
            continue
        for resource in covered:
            if resource in seen_resources:
                problems.append(f"{at}: resource {resource!r} is covered by two groups")
            seen_resources.add(resource)
        total_flavors += len(flavors)
        for j, flavor in enumerate(flavors):
            fat = f"{at}.flavors[{j}]"
            name = flavor.get("name")
            if not _subdomain(name):
                problems.append(f"{fat}.name {name!r} is not a DNS-1123 subdomain")
            if name in seen_flavors:
                problems.append(f"{fat}: flavor {name!r} appears twice")
            seen_flavors.add(name)
            resources = flavor.get("resources") or []
            listed = [r.get("name") for r in resources]
            if listed != covered:
                problems.append(f"{fat}: resources {listed} must be the coveredResources {covered}, in that order")
            for quota in resources:
                rat = f"{fat} {quota.get('name')}"
                unknown = set(quota) - {"name", "nominalQuota", "borrowingLimit", "lendingLimit"}
                if unknown:
                    problems.append(f"{rat}: unknown field(s) {sorted(unknown)}")
                nominal = quantity(quota.get("nominalQuota"))
                if nominal is None or nominal < 0:
                    problems.append(f"{rat}: nominalQuota {quota.get('nominalQuota')!r} must be a non-negative quantity")
                for limit in ("borrowingLimit", "lendingLimit"):
                    if limit not in quota:
                        continue
                    value = quantity(quota[limit])
                    if value is None or value < 0:
                        problems.append(f"{rat}: {limit} {quota[limit]!r} must be a non-negative quantity")
                    if not has_parent:
                        problems.append(f"{rat}: {limit} must be nil when {parent_field} is empty")
                    if limit == "lendingLimit" and value is not None and nominal is not None and value > nominal:
                        problems.append(f"{rat}: lendingLimit {quota[limit]} must be less than or equal to the nominalQuota {quota.get('nominalQuota')}")
    if total_flavors > 256:
        problems.append(f"{where}: more than 256 flavors in all resourceGroups")
    return problems


def _cluster_queue(obj: Manifest) -> list[str]:
    where, spec = _where(obj), obj.get("spec") or {}
    problems = []
    cohort = spec.get("cohortName")
    if cohort is not None and not _subdomain(cohort):
        problems.append(f"{where}: cohortName {cohort!r} is not a DNS-1123 subdomain")
    problems += _resource_groups(where, spec.get("resourceGroups", []), bool(cohort), "cohort")
    if spec.get("queueingStrategy", "BestEffortFIFO") not in ("StrictFIFO", "BestEffortFIFO"):
        problems.append(f"{where}: queueingStrategy {spec['queueingStrategy']!r} is not StrictFIFO or BestEffortFIFO")
    preemption = spec.get("preemption") or {}
    for key, allowed in _PREEMPTION.items():
        if key in preemption and preemption[key] not in allowed:
            problems.append(f"{where}: preemption.{key} {preemption[key]!r} is not one of {sorted(allowed)}")
    borrow = (preemption.get("borrowWithinCohort") or {}).get("policy", "Never")
    if preemption.get("reclaimWithinCohort", "Never") == "Never" and borrow != "Never":
        problems.append(f"{where}: reclaimWithinCohort=Never and borrowWithinCohort.Policy!=Never")
    selector = spec.get("namespaceSelector")
    if selector is None:
        problems.append(f"{where}: no namespaceSelector: Kueue then admits from no namespace")
    return problems


def _resource_flavor(obj: Manifest) -> list[str]:
    where, spec = _where(obj), obj.get("spec") or {}
    problems = []
    if len(spec.get("nodeLabels") or {}) > 8:
        problems.append(f"{where}: more than 8 nodeLabels")
    taints = spec.get("nodeTaints") or []
    if len(taints) > 8:
        problems.append(f"{where}: more than 8 nodeTaints")
    for taint in taints:
        if taint.get("effect") not in ("NoSchedule", "PreferNoSchedule", "NoExecute"):
            problems.append(f"{where}: taint {taint} has no supported effect (NoSchedule, PreferNoSchedule, NoExecute)")
        if not taint.get("key"):
            problems.append(f"{where}: taint {taint} has no key")
    return problems


def _priority_class(obj: Manifest) -> list[str]:
    where = _where(obj)
    value = obj.get("value")
    problems = []
    if not isinstance(value, int) or isinstance(value, bool) or not -(2**31) <= value < 2**31:
        problems.append(f"{where}: value {value!r} must be an int32")
    if len(str(obj.get("description", ""))) > 2048:
        problems.append(f"{where}: description longer than 2048 characters")
    return problems


def _selects(selector: dict[str, Any] | None, labels: dict[str, str]) -> bool:
    """matchLabels and matchExpressions (In, NotIn, Exists, DoesNotExist) of a label selector against labels."""
    if selector is None:
        return False
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values") or []
        if (op == "In" and labels.get(key) not in values) or (op == "NotIn" and labels.get(key) in values) \
                or (op == "Exists" and key not in labels) or (op == "DoesNotExist" and key in labels):
            return False
    return True


def kueue_problems(objects: list[Manifest]) -> list[str]:
    """Every Kueue rule above that the objects break; [] when Kueue would accept them and they work together."""
    problems: list[str] = []
    by_kind: dict[str, list[Manifest]] = {}
    for obj in objects:
        by_kind.setdefault(obj.get("kind", ""), []).append(obj)
    for obj in objects:
        kind = obj.get("kind")
        if kind not in KUEUE_KINDS:
            continue
        where = _where(obj)
        if obj.get("apiVersion") != names.KUEUE_API_VERSION:
            problems.append(f"{where}: apiVersion {obj.get('apiVersion')!r}, expected {names.KUEUE_API_VERSION}")
        name = (obj.get("metadata") or {}).get("name")
        if not _subdomain(name):
            problems.append(f"{where}: name {name!r} is not a DNS-1123 subdomain")
        if kind in _SPEC_FIELDS:
            unknown = set(obj.get("spec") or {}) - _SPEC_FIELDS[kind]
            if unknown:
                problems.append(f"{where}: unknown spec field(s) {sorted(unknown)}")
        if kind in _TOP_FIELDS and set(obj) - _TOP_FIELDS[kind]:
            problems.append(f"{where}: unknown field(s) {sorted(set(obj) - _TOP_FIELDS[kind])}")
        if kind == "ClusterQueue":
            problems += _cluster_queue(obj)
        elif kind == "Cohort":
            spec = obj.get("spec") or {}
            problems += _resource_groups(where, spec.get("resourceGroups", []), bool(spec.get("parentName")), "parent")
        elif kind == "ResourceFlavor":
            problems += _resource_flavor(obj)
        elif kind == "WorkloadPriorityClass":
            problems += _priority_class(obj)
    flavors = {o["metadata"]["name"] for o in by_kind.get("ResourceFlavor", [])}
    queues = {o["metadata"]["name"]: o for o in by_kind.get("ClusterQueue", [])}
    namespaces = {o["metadata"]["name"]: o for o in by_kind.get("Namespace", [])}
    for obj in by_kind.get("ClusterQueue", []) + by_kind.get("Cohort", []):
        for group in (obj.get("spec") or {}).get("resourceGroups") or []:
            for flavor in group.get("flavors") or []:
                if flavor.get("name") not in flavors:
                    problems.append(f"{_where(obj)}: flavor {flavor.get('name')!r} names no ResourceFlavor")
    for obj in by_kind.get("LocalQueue", []):
        target, namespace = (obj.get("spec") or {}).get("clusterQueue"), obj["metadata"].get("namespace")
        if target not in queues:
            problems.append(f"{_where(obj)}: spec.clusterQueue {target!r} names no ClusterQueue")
            continue
        if namespace not in namespaces:
            problems.append(f"{_where(obj)}: namespace {namespace!r} is not rendered")
            continue
        labels = {**(namespaces[namespace]["metadata"].get("labels") or {}), "kubernetes.io/metadata.name": namespace}
        if not _selects(queues[target]["spec"].get("namespaceSelector"), labels):
            problems.append(f"{_where(obj)}: ClusterQueue {target} does not admit from namespace {namespace}")
    return problems


def core_problems(objects: list[Manifest], version: str = KUBERNETES_VERSION) -> list[str]:
    """Core kinds against Kubernetes' OpenAPI schemas (kubernetes-validate, strict: unknown fields are errors)."""
    try:
        import kubernetes_validate
    except ImportError as exc:  # a tooling dependency: in the lock, maybe not in a slim image
        raise RuntimeError("core manifests are validated with kubernetes-validate: install the locked requirements") from exc

    problems = []
    for obj in objects:
        if obj.get("kind") not in CORE_KINDS:
            continue
        try:
            kubernetes_validate.validate(obj, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            path = "/".join(str(p) for p in exc.path)
            problems.append(f"{_where(obj)}: {path}: {exc.message}")
    for obj in objects:  # what the schema cannot say: names that must be DNS-1123
        meta = obj.get("metadata") or {}
        if obj.get("kind") == "Namespace" and not (len(meta.get("name", "")) <= 63 and names.DNS1123_LABEL.match(meta.get("name", ""))):
            problems.append(f"{_where(obj)}: a namespace name must be a DNS-1123 label of at most 63 characters")
        if meta.get("namespace") and not names.DNS1123_LABEL.match(meta["namespace"]):
            problems.append(f"{_where(obj)}: namespace {meta['namespace']!r} is not a DNS-1123 label")
    return problems
