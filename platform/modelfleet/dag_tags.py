"""Tags the DAG factory puts on the fleet's DAGs, for readers that must not import the factory (the Fleet page in the API server)."""

from __future__ import annotations

BROKEN_TAG = "broken-spec"
"""The placeholder of a spec that does not validate, or of a DAG that could not be built."""
SCORING_TAG = "scoring"
"""A pipeline's batch-scoring DAG (`<dag_id>__scoring`)."""
FEATURES_TAG = "features"
"""A team's feature DAG (`<team>__features`)."""
