"""Kubernetes mode: Kueue objects and pod templates rendered from the same capacity and quotas as the pools, and the
switch (`runtime`) that sends GPU training tasks to Kueue-admitted pods.

Nothing here talks to a cluster. `modelfleet k8s render` writes the manifests
(modelfleet.k8s.render); operators apply them next to the official Airflow
Helm chart installed with `infra/helm/values.yaml`. See docs/operations.md.
"""
