"""Feast definitions of the whole fleet, for the feast CLI (`feast -c feature_repo plan|apply`).

Nothing is declared by hand: every tenant's entities and feature views are
generated from its model specs by modelfleet.features.definitions, the same
code the pipelines apply at run time. Set MODELFLEET_FEAST_HOME (see
feature_store.yaml) before running the CLI.
"""

from modelfleet.features.definitions import fleet_feast_objects

globals().update(fleet_feast_objects())
