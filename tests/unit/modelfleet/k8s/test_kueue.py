"""The fleet's Kueue objects: Kueue's own rules, and the same numbers as the Airflow pools from the same files."""

from __future__ import annotations

import copy
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from support.k8s_render import REPO, FleetRender, edit_yaml, gpu_quota, pool_guarantees, queue_guarantees, render_fleet

from modelfleet.k8s import names
from modelfleet.k8s.checks import kueue_problems, quantity
from modelfleet.specs.tenant import PRIORITY_WEIGHTS


def test_every_kueue_object_follows_kueues_rules(real: FleetRender) -> None:
    assert kueue_problems(real.rendered.objects()) == []
    kinds = sorted({m["kind"] for m in real.rendered.objects() if m["apiVersion"] == names.KUEUE_API_VERSION})
    assert kinds == ["ClusterQueue", "Cohort", "LocalQueue", "ResourceFlavor", "WorkloadPriorityClass"]


def test_a_cluster_queue_per_gpu_team_in_one_cohort_and_a_namespace_per_team(real: FleetRender) -> None:
    gpu_teams = sorted(tid for tid, t in real.fleet.tenants.items() if t.gpu_quota)
    assert gpu_teams and len(gpu_teams) < len(real.fleet.tenants)  # the fleet has teams with GPUs and without
    queues = real.rendered.of_kind("ClusterQueue")
    assert sorted(q["metadata"]["name"] for q in queues) == [names.cluster_queue(t) for t in gpu_teams]
    assert {q["spec"]["cohortName"] for q in queues} == {names.COHORT}
    assert [c["metadata"]["name"] for c in real.rendered.of_kind("Cohort")] == [names.COHORT]
    # a team without GPUs (lending) gets a namespace (its CPU pods may run there) but no queue
    assert sorted(n["metadata"]["name"] for n in real.rendered.of_kind("Namespace")) == \
        [names.namespace(t) for t in sorted(real.fleet.tenants)]
    local = {(q["metadata"]["namespace"], q["spec"]["clusterQueue"]) for q in real.rendered.of_kind("LocalQueue")}
    assert local == {(names.namespace(t), names.cluster_queue(t)) for t in gpu_teams}
    for queue in queues:  # each queue admits from its own team's namespace only
        team = queue["metadata"]["labels"]["modelfleet.io/tenant"]
        assert queue["spec"]["namespaceSelector"] == {"matchLabels": {"kubernetes.io/metadata.name": names.namespace(team)}}


def test_cluster_queue_quotas_are_the_pools_guarantees_and_the_teams_limits(real: FleetRender) -> None:
    assert queue_guarantees(real) == pool_guarantees(real)
    assert queue_guarantees(real) == {(tid, cls): q.nominal for tid, t in real.fleet.tenants.items() for cls, q in t.gpu_quota.items()}
    for queue in real.rendered.of_kind("ClusterQueue"):
        tenant = real.fleet.tenants[queue["metadata"]["labels"]["modelfleet.io/tenant"]]
        for gpu_class, quota in tenant.gpu_quota.items():
            flavor = names.flavor(gpu_class)
            for field, limit in (("borrowingLimit", quota.borrowing_limit), ("lendingLimit", quota.lending_limit)):
                assert gpu_quota(queue, flavor, field) == (None if limit is None else str(limit)), (tenant.id, flavor, field)
            placement = real.capacity.placement(gpu_class)
            # CPU and memory ride along with the GPUs: the class's share per GPU times the GPU quota
            assert quantity(gpu_quota(queue, flavor, resource="cpu")) == quota.nominal * quantity(placement.cpu_per_gpu)
            assert quantity(gpu_quota(queue, flavor, resource="memory")) == quota.nominal * quantity(placement.memory_per_gpu)


def test_guarantees_and_the_cohort_add_up_to_the_capacity(real: FleetRender) -> None:
    cohort = real.one("Cohort", names.COHORT)
    for gpu_class in real.capacity.classes_with_devices():
        queued = sum(int(gpu_quota(q, names.flavor(gpu_class)) or 0) for q in real.rendered.of_kind("ClusterQueue"))
        shared = int(gpu_quota(cohort, names.flavor(gpu_class)) or 0)
        pools = sum(n for (_, cls), n in pool_guarantees(real).items() if cls == gpu_class)
        assert queued == pools
        assert queued + shared == real.capacity.total(gpu_class)


def test_priority_classes_are_the_airflow_tiers(real: FleetRender) -> None:
    classes = {c["metadata"]["name"]: c["value"] for c in real.rendered.of_kind("WorkloadPriorityClass")}
    assert classes == {names.priority_class(tier): weight for tier, weight in PRIORITY_WEIGHTS.items()}


def test_flavors_carry_the_capacity_files_node_labels_and_taints(real: FleetRender) -> None:
    for gpu_class in real.capacity.classes_with_devices():
        flavor = real.one("ResourceFlavor", names.flavor(gpu_class))
        placement = real.capacity.placement(gpu_class)
        assert flavor["spec"]["nodeLabels"] == placement.node_labels
        assert flavor["spec"]["nodeTaints"] == [t.model_dump(exclude_none=True) for t in placement.taints]
    assert real.one("ResourceFlavor", "gpu-a10g")["spec"]["nodeLabels"] == {"nvidia.com/gpu.product": "NVIDIA-A10G"}


@pytest.fixture
def fleet_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every tenant and the capacity file, copied: a test edits quotas without touching the repository."""
    from support.tenant_copy import use_tenant_copy

    tenants, _ = use_tenant_copy(tmp_path, monkeypatch, tenant=None)
    capacity = tmp_path / "capacity.yaml"
    shutil.copy(REPO / "infra" / "capacity.yaml", capacity)
    monkeypatch.setenv("MODELFLEET_CAPACITY_FILE", str(capacity))
    return tenants


def test_a_quota_change_moves_the_pool_and_the_cluster_queue_together(fleet_copy: Path) -> None:
    def payments(data: dict[str, Any]) -> None:
        data["gpu_quota"]["a10g"] = {"nominal": 2, "borrowing_limit": 3}

    def retention(data: dict[str, Any]) -> None:
        data["gpu_quota"]["a10g"] = {"nominal": 0, "borrowing_limit": 2}

    edit_yaml(fleet_copy / "payments" / "tenant.yaml", payments)
    edit_yaml(fleet_copy / "retention" / "tenant.yaml", retention)
    changed = render_fleet()
    assert queue_guarantees(changed)[("payments", "a10g")] == pool_guarantees(changed)[("payments", "a10g")] == 2
    assert queue_guarantees(changed)[("retention", "a10g")] == pool_guarantees(changed)[("retention", "a10g")] == 0
    queue = changed.one("ClusterQueue", names.cluster_queue("payments"))
    assert gpu_quota(queue, "gpu-a10g", "borrowingLimit") == "3"
    assert gpu_quota(queue, "gpu-a10g", resource="cpu") == "12"  # 2 GPUs x cpu_per_gpu 6
    assert kueue_problems(changed.rendered.objects()) == []


def test_an_unguaranteed_gpu_goes_to_the_cohort_as_it_goes_to_the_pools_lending(fleet_copy: Path) -> None:
    def retention(data: dict[str, Any]) -> None:
        data["gpu_quota"]["a10g"] = {"nominal": 0, "borrowing_limit": 1}

    edit_yaml(fleet_copy / "retention" / "tenant.yaml", retention)
    changed = render_fleet()
    plan = next(p for p in changed.plans if p.gpu_class == "a10g")
    assert plan.capacity - sum(plan.granted.values()) == 1  # what the quota controller lends as spare capacity
    cohort = changed.one("Cohort", names.COHORT)
    assert gpu_quota(cohort, "gpu-a10g") == "1"
    assert gpu_quota(cohort, "gpu-a100") is None  # a100 is fully guaranteed
    assert kueue_problems(changed.rendered.objects()) == []


def test_more_guarantees_than_gpus_render_nothing(fleet_copy: Path, tmp_path: Path) -> None:
    import io

    from rich.console import Console

    from modelfleet.cli import k8s as k8s_commands

    def greedy(data: dict[str, Any]) -> None:
        data["gpu_quota"]["a10g"] = {"nominal": 3}

    edit_yaml(fleet_copy / "payments" / "tenant.yaml", greedy)
    out = io.StringIO()
    assert k8s_commands.render(Console(file=out, width=200), tmp_path / "k8s") == 1
    assert "refused" in out.getvalue() and "add up to 6" in out.getvalue()
    assert not (tmp_path / "k8s").exists()


def _mutate(objects: list[dict[str, Any]], kind: str, name: str, change: Any) -> list[dict[str, Any]]:
    objects = copy.deepcopy(objects)
    change(next(o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name))
    return objects


def _gpu(queue: dict[str, Any], flavor: str = "gpu-a10g") -> dict[str, Any]:
    entry = next(f for f in queue["spec"]["resourceGroups"][0]["flavors"] if f["name"] == flavor)
    return next(r for r in entry["resources"] if r["name"] == names.GPU_RESOURCE)


BROKEN = [
    pytest.param("ClusterQueue", "modelfleet-payments", lambda q: _gpu(q).update(lendingLimit="2"),
                 "must be less than or equal to the nominalQuota", id="lending-above-nominal"),
    pytest.param("ClusterQueue", "modelfleet-payments", lambda q: q["spec"].pop("cohortName"),
                 "borrowingLimit must be nil when cohort is empty", id="borrowing-without-cohort"),
    pytest.param("ClusterQueue", "modelfleet-payments", lambda q: q["spec"].update(cohort=q["spec"].pop("cohortName")),
                 "unknown spec field(s) ['cohort']", id="v1beta1-cohort-field"),
    pytest.param("ClusterQueue", "modelfleet-payments", lambda q: _gpu(q).update(nominalQuota="-1"),
                 "must be a non-negative quantity", id="negative-quota"),
    pytest.param("ClusterQueue", "modelfleet-payments", lambda q: _gpu(q).update(nominalQuota="one"),
                 "must be a non-negative quantity", id="not-a-quantity"),
    pytest.param("ClusterQueue", "modelfleet-payments",
                 lambda q: q["spec"]["resourceGroups"][0]["flavors"][0]["resources"].reverse(),
                 "must be the coveredResources", id="resources-out-of-order"),
    pytest.param("ClusterQueue", "modelfleet-payments",
                 lambda q: q["spec"]["resourceGroups"][0]["flavors"][0].update(name="gpu-h100"),
                 "flavor 'gpu-h100' names no ResourceFlavor", id="unknown-flavor"),
    pytest.param("ClusterQueue", "modelfleet-payments", lambda q: q["metadata"].update(name="modelfleet_payments"),
                 "is not a DNS-1123 subdomain", id="underscore-name"),
    pytest.param("ClusterQueue", "modelfleet-payments",
                 lambda q: q["spec"]["namespaceSelector"]["matchLabels"].update({"kubernetes.io/metadata.name": "elsewhere"}),
                 "does not admit from namespace modelfleet-payments", id="selector-misses-namespace"),
    pytest.param("ClusterQueue", "modelfleet-payments", lambda q: q["spec"].update(queueingStrategy="FIFO"),
                 "queueingStrategy", id="bad-strategy"),
    pytest.param("LocalQueue", "gpu", lambda q: q["spec"].update(clusterQueue="modelfleet-nobody"),
                 "names no ClusterQueue", id="local-queue-to-nowhere"),
    pytest.param("ResourceFlavor", "gpu-a10g", lambda f: f["spec"]["nodeTaints"][0].update(effect="NoRun"),
                 "no supported effect", id="bad-taint-effect"),
    pytest.param("WorkloadPriorityClass", "modelfleet-high", lambda c: c.update(value=2**31),
                 "must be an int32", id="priority-overflow"),
    pytest.param("Cohort", "modelfleet", lambda c: c["spec"].update(resourceGroups=[{"coveredResources": ["nvidia.com/gpu"], "flavors": [
        {"name": "gpu-a10g", "resources": [{"name": "nvidia.com/gpu", "nominalQuota": "1", "lendingLimit": "1"}]}]}]),
                 "lendingLimit must be nil when parent is empty", id="cohort-limit-without-parent"),
]


@pytest.mark.parametrize(("kind", "name", "change", "expected"), BROKEN)
def test_the_checker_rejects_what_kueue_rejects(real: FleetRender, kind: str, name: str, change: Any, expected: str) -> None:
    problems = kueue_problems(_mutate(real.rendered.objects(), kind, name, change))
    assert any(expected in p for p in problems), problems


def test_quantities_are_compared_as_quantities() -> None:
    assert quantity("28Gi") == Decimal(28 * 2**30)
    assert quantity("500m") == Decimal("0.5")
    assert quantity("-1") == Decimal(-1)
    assert quantity("lots") is None


def test_capacity_files_kubernetes_section_is_strict_and_optional() -> None:
    from pydantic import ValidationError

    from modelfleet.scheduling.capacity import Capacity

    bare = Capacity.model_validate({"gpu_classes": {"a10g": "x"}, "hosts": {"g1": {"a10g": [0]}}})
    assert bare.placement("a10g").node_labels == {"modelfleet.io/gpu-class": "a10g"}  # the default: a label to put on the nodes
    with pytest.raises(ValidationError, match="undeclared GPU class"):
        Capacity.model_validate({"gpu_classes": {"a10g": "x"}, "kubernetes": {"h100": {"node_labels": {"a": "b"}}}})
    with pytest.raises(ValidationError):
        Capacity.model_validate({"gpu_classes": {"a10g": "x"}, "kubernetes": {"a10g": {"node_labels": {"a": "b"}, "cpu_per_gpu": "six"}}})
