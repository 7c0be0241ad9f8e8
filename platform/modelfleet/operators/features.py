"""Build the training set of one logical date through Feast, point-in-time correct."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from modelfleet.operators.stage import PipelineStageOperator


class BuildFeaturesOperator(PipelineStageOperator):
    """Writes `training_set.parquet` (join keys, timestamp, the spec's features, label) for the trainers.

    1. the day's rows go to the offline source of each of the spec's views
       (`$MODELFLEET_HOME/feast/offline/<view>/<ds>__<input>.parquet`, replaced
       on a rerun, so the same date never adds rows twice);
    2. the tenant's definitions are applied only when they changed, and the
       views are materialized up to the end of the logical date;
    3. the training set is Feast's `get_historical_features` over the day's
       (join keys, timestamp, label): each row gets the feature values as they
       were at its timestamp, never later ones.

    The XCom names each view's version (a hash of its definition), which the
    trainers record as lineage.
    """

    ui_color = "#e6f4ea"

    def __init__(self, *, feast_conn_id: str = "feast_default", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.feast_conn_id = feast_conn_id

    @cached_property
    def hook(self) -> Any:
        from modelfleet.hooks.feast import FeastHook

        return FeastHook(feast_conn_id=self.feast_conn_id)

    def execute(self, context: Any) -> dict[str, Any]:
        from modelfleet.dag_factory.assets import describe_outlet_event, training_set_asset
        from modelfleet.features.definitions import load_tenant_definitions
        from modelfleet.features.offline import write_day
        from modelfleet.io import read_frame, rendered_data_path

        pipeline, spec, ds = self.pipeline, self.pipeline.model, context["ds"]
        definitions = load_tenant_definitions(pipeline.tenant.id)
        path = rendered_data_path(pipeline, ds)
        day = read_frame(path, spec.data.format)
        for name in spec.features.views:
            written, rows = write_day(definitions.view(name), day, ds, pipeline.data_path)
            self.log.info("offline source of %s: %d rows of %s -> %s", name, rows, ds, written)
        refreshed = self.hook.refresh(definitions, spec.features.views, ds)
        frame = self.hook.training_frame(spec, definitions, day)
        out = self.run_dir(context) / "training_set.parquet"
        frame.to_parquet(out, index=False)
        self.log.info("training set: %d rows x %d columns -> %s", len(frame), frame.shape[1], out)
        versions = {name: definitions.view_version(name) for name in spec.features.views}
        describe_outlet_event(context, training_set_asset(pipeline.tenant.id, spec.name),
                              {"logical_date": ds, "rows": len(frame), "feature_views": versions})
        return {"training_set": str(out), "rows": len(frame), "views": list(spec.features.views),
                "feature_views": versions, "applied": refreshed["applied"]}
