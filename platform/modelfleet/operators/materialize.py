"""A tenant's feature pipeline: its views' offline sources and online store, up to date for one logical date."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import Any

from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowFailException


class MaterializeFeaturesOperator(BaseOperator):
    """For each of the tenant's views: write the logical date's rows from every input that feeds it,
    apply the tenant's definitions if they changed, and materialize the views to the end of the date.

    Carries only names (cheap to parse); the definitions are re-read from the
    tenant's specs when the task runs. Idempotent per logical date.
    """

    template_fields: Sequence[str] = ("views",)
    ui_color = "#e6f4ea"

    def __init__(
        self, *, tenant_id: str, views: Sequence[str] | None = None, feast_conn_id: str = "feast_default", **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.tenant_id = tenant_id
        self.views = list(views) if views is not None else None
        self.feast_conn_id = feast_conn_id

    @cached_property
    def hook(self) -> Any:
        from modelfleet.hooks.feast import FeastHook

        return FeastHook(feast_conn_id=self.feast_conn_id)

    def execute(self, context: Any) -> dict[str, Any]:
        from modelfleet.features.definitions import load_tenant_definitions
        from modelfleet.features.offline import write_day
        from modelfleet.io import read_frame

        ds = context["ds"]
        definitions = load_tenant_definitions(self.tenant_id)
        views = self.views or definitions.view_names
        unknown = sorted(set(views) - set(definitions.view_names))
        if unknown:
            raise AirflowFailException(f"tenant {self.tenant_id!r} declares no views {unknown} in its specs")
        rows: dict[str, int] = {}
        for name in views:
            view = definitions.view(name)
            for source in view.inputs:
                path = source.for_date(ds)
                _, count = write_day(view, read_frame(path, source.format), ds, source.path)
                rows[name] = rows.get(name, 0) + count
                self.log.info("offline source of %s: %d rows of %s from %s", name, count, ds, path)
        refreshed = self.hook.refresh(definitions, views, ds)
        return {"tenant": self.tenant_id, "ds": ds, "rows": rows, **refreshed}
