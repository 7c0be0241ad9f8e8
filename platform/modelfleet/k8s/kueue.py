"""Kueue objects from the same capacity and quotas as the Airflow pools.

Per GPU class a ResourceFlavor (its nodes' labels and taints from
`infra/capacity.yaml`); per team with a GPU quota a ClusterQueue in one cohort
whose nominal quota per flavor is the team's guarantee exactly as the pools
plan it (modelfleet.scheduling.pools.guarantee_plans), with the team's
borrowing and lending limits; a Namespace per team and, where the team has a
ClusterQueue, a LocalQueue in it; a WorkloadPriorityClass per priority tier
(value = the tier's Airflow priority weight); and a Cohort object holding
the GPUs no team is guaranteed, which Kueue lends like Airflow's quota
controller does.

Pods of a k-GPU task request k times the class's `cpu_per_gpu` and
`memory_per_gpu` as well, and Kueue admits a workload only when every
resource it requests is covered by its ClusterQueue: the queues cover cpu and
memory per flavor with the same multiples of the GPU quota.

Nothing is preempted, as in Airflow (`reclaimWithinCohort: Never`): a team
gets a lent GPU back when the borrowing pod ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from modelfleet.k8s import names
from modelfleet.specs.tenant import PRIORITY_WEIGHTS

if TYPE_CHECKING:
    from modelfleet.scheduling.capacity import Capacity
    from modelfleet.scheduling.quota import ClassPlan
    from modelfleet.specs.loader import Fleet

Manifest = dict[str, Any]
COVERED = ("cpu", "memory", names.GPU_RESOURCE)
"""The resources every GPU resource group covers, in this order (each flavor lists its quotas in the same order)."""

TIER_DESCRIPTIONS = {
    "critical": "modelfleet tier critical (Airflow priority_weight 1000): revenue or risk models; first to borrow idle GPUs",
    "high": "modelfleet tier high (Airflow priority_weight 100)",
    "standard": "modelfleet tier standard (Airflow priority_weight 10): the default",
    "batch": "modelfleet tier batch (Airflow priority_weight 1): runs when nothing else waits",
}


@dataclass(frozen=True)
class TeamQuota:
    """One team's share of one GPU class, as the pools and the ClusterQueue both see it."""

    tenant: str
    gpu_class: str
    nominal: int
    """Guaranteed GPUs: the team's pool slots at the guarantees and its ClusterQueue's nominalQuota."""
    borrowing_limit: int | None
    lending_limit: int | None


def team_quotas(fleet: Fleet, plans: list[ClassPlan]) -> list[TeamQuota]:
    """Every team's guarantee per class from the pools' own plan, with its limits from tenant.yaml."""
    quotas = []
    for plan in sorted(plans, key=lambda p: p.gpu_class):
        for tenant_id, granted in sorted(plan.granted.items()):
            quota = fleet.tenants[tenant_id].gpu_quota[plan.gpu_class]
            quotas.append(TeamQuota(tenant_id, plan.gpu_class, granted, quota.borrowing_limit, quota.lending_limit))
    return quotas


def scale(quantity: str, factor: int) -> str:
    """A Kubernetes quantity times a whole number, in the same unit: `28Gi` x 2 = `56Gi`, `500m` x 3 = `1500m`."""
    digits = quantity.rstrip("KMGTPEikmgtpe")
    unit = quantity[len(digits):]
    value = (Decimal(digits) * factor).normalize()
    return f"{value:f}{unit}"


def _quotas(capacity: Capacity, gpu_class: str, nominal: int, borrowing: int | None = None,
            lending: int | None = None) -> list[dict[str, Any]]:
    """The quotas of one flavor, in COVERED order: cpu and memory are the class's per-GPU share times the GPUs."""
    placement = capacity.placement(gpu_class)
    per_gpu = {"cpu": placement.cpu_per_gpu, "memory": placement.memory_per_gpu, names.GPU_RESOURCE: "1"}
    resources = []
    for resource in COVERED:
        entry: dict[str, Any] = {"name": resource, "nominalQuota": scale(per_gpu[resource], nominal)}
        if borrowing is not None:
            entry["borrowingLimit"] = scale(per_gpu[resource], borrowing)
        if lending is not None:
            entry["lendingLimit"] = scale(per_gpu[resource], lending)
        resources.append(entry)
    return resources


def resource_flavor(capacity: Capacity, gpu_class: str) -> Manifest:
    placement = capacity.placement(gpu_class)
    taints = [{k: v for k, v in {"key": t.key, "value": t.value, "effect": t.effect}.items() if v is not None}
              for t in placement.taints]
    spec: dict[str, Any] = {"nodeLabels": dict(placement.node_labels)}
    if taints:
        spec["nodeTaints"] = taints
    return {"apiVersion": names.KUEUE_API_VERSION, "kind": "ResourceFlavor",
            "metadata": {"name": names.flavor(gpu_class), "labels": {**names.PART_OF, "modelfleet.io/gpu-class": gpu_class}},
            "spec": spec}


def cohort(capacity: Capacity, plans: list[ClassPlan]) -> Manifest:
    """The cohort, holding each class's GPUs that no team is guaranteed: lent to any team in it, as the pools lend them."""
    flavors = [{"name": names.flavor(p.gpu_class), "resources": _quotas(capacity, p.gpu_class, p.capacity - sum(p.granted.values()))}
               for p in sorted(plans, key=lambda p: p.gpu_class) if p.capacity > sum(p.granted.values())]
    spec: dict[str, Any] = {"resourceGroups": [{"coveredResources": list(COVERED), "flavors": flavors}]} if flavors else {}
    return {"apiVersion": names.KUEUE_API_VERSION, "kind": "Cohort",
            "metadata": {"name": names.COHORT, "labels": dict(names.PART_OF)}, "spec": spec}


def cluster_queue(capacity: Capacity, tenant_id: str, quotas: list[TeamQuota]) -> Manifest:
    """A team's ClusterQueue: its guarantee and limits per flavor, admitting workloads from its own namespace only."""
    flavors = [{"name": names.flavor(q.gpu_class),
                "resources": _quotas(capacity, q.gpu_class, q.nominal, q.borrowing_limit, q.lending_limit)}
               for q in sorted(quotas, key=lambda q: q.gpu_class)]
    return {
        "apiVersion": names.KUEUE_API_VERSION, "kind": "ClusterQueue",
        "metadata": {"name": names.cluster_queue(tenant_id), "labels": {**names.PART_OF, "modelfleet.io/tenant": tenant_id}},
        "spec": {
            "cohortName": names.COHORT,
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": names.namespace(tenant_id)}},
            "queueingStrategy": "BestEffortFIFO",
            # As in Airflow: a running task is never stopped to give a GPU back; the owner waits for it to end.
            "preemption": {"reclaimWithinCohort": "Never", "withinClusterQueue": "Never"},
            "resourceGroups": [{"coveredResources": list(COVERED), "flavors": flavors}],
        },
    }


def namespace(tenant_id: str) -> Manifest:
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": names.namespace(tenant_id), "labels": {**names.PART_OF, "modelfleet.io/tenant": tenant_id}}}


def local_queue(tenant_id: str) -> Manifest:
    return {"apiVersion": names.KUEUE_API_VERSION, "kind": "LocalQueue",
            "metadata": {"name": names.LOCAL_QUEUE, "namespace": names.namespace(tenant_id),
                         "labels": {**names.PART_OF, "modelfleet.io/tenant": tenant_id}},
            "spec": {"clusterQueue": names.cluster_queue(tenant_id)}}


def workload_priority_classes() -> list[Manifest]:
    """One per tier; the value is the tier's Airflow priority weight, so both order work the same way."""
    return [{"apiVersion": names.KUEUE_API_VERSION, "kind": "WorkloadPriorityClass",
             "metadata": {"name": names.priority_class(tier), "labels": dict(names.PART_OF)},
             "value": weight, "description": TIER_DESCRIPTIONS[tier]}
            for tier, weight in sorted(PRIORITY_WEIGHTS.items(), key=lambda item: -item[1])]


def kueue_objects(fleet: Fleet, capacity: Capacity, plans: list[ClassPlan]) -> list[Manifest]:
    """Cluster-scoped first (flavors, priority classes, cohort, cluster queues), then each team's LocalQueue."""
    quotas = team_quotas(fleet, plans)
    by_team: dict[str, list[TeamQuota]] = {}
    for quota in quotas:
        by_team.setdefault(quota.tenant, []).append(quota)
    objects = [resource_flavor(capacity, p.gpu_class) for p in sorted(plans, key=lambda p: p.gpu_class)]
    objects += workload_priority_classes()
    objects.append(cohort(capacity, plans))
    objects += [cluster_queue(capacity, tid, team) for tid, team in sorted(by_team.items())]
    objects += [local_queue(tid) for tid in sorted(by_team)]
    return objects


def namespaces(fleet: Fleet) -> list[Manifest]:
    """Every team gets a namespace (its GPU pods and Jobs run there); teams without GPUs get no queue in it."""
    return [namespace(tid) for tid in sorted(fleet.tenants)]
