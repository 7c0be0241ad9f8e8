"""Feast for the fleet: definitions generated from the tenants' specs, offline files, materialization, serving.

Importing this package is cheap (no Feast, no pandas): DAG factories use the
definitions at parse time; Feast itself is imported inside the functions
that need it.
"""

from modelfleet.features.definitions import TenantDefinitions, load_tenant_definitions, tenant_definitions
from modelfleet.features.serving import model_online_features, online_features

__all__ = ["TenantDefinitions", "load_tenant_definitions", "model_online_features", "online_features", "tenant_definitions"]
