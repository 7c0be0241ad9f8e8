"""The fleet's Kubernetes manifests, rendered once per module from the repository's tenants, capacity and Helm values."""

from __future__ import annotations

import pytest
from support.k8s_render import FleetRender, render_fleet


@pytest.fixture(scope="module")
def real() -> FleetRender:
    """The repository's fleet: tenants/, infra/capacity.yaml, infra/helm/values.yaml."""
    return render_fleet()
