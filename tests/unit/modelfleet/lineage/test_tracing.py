"""`annotate` and `current_trace_id`: attributes on a recording span, nothing at all otherwise."""

from __future__ import annotations

import enum
from pathlib import Path

import numpy as np
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

from modelfleet.lineage.tracing import annotate, coerce, current_trace_id


@pytest.fixture
def tracer_and_spans() -> tuple[trace.Tracer, InMemorySpanExporter]:
    # A provider of the test's own: the global one is never set, so nothing leaks into other tests.
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider.get_tracer(__name__), exporter


class Device(enum.Enum):
    CPU = "cpu"


@pytest.mark.parametrize(("value", "expected"), [
    pytest.param("payments", "payments", id="str"),
    pytest.param(True, True, id="bool-stays-bool"),
    pytest.param(3, 3, id="int"),
    pytest.param(np.int64(7), 7, id="numpy-int"),
    pytest.param(np.float32(0.5), 0.5, id="numpy-float"),
    pytest.param(2**70, str(2**70), id="int-beyond-int64-as-str"),
    pytest.param([0, 1], [0, 1], id="list-of-ints"),
    pytest.param((0, None, 2), [0, 2], id="tuple-none-items-dropped"),
    pytest.param({3, 1}, [1, 3], id="set-sorted"),
    pytest.param([1, "a"], ["1", "a"], id="mixed-list-as-strs"),
    pytest.param([], [], id="empty-list"),
    pytest.param(Path("/data/x.parquet"), "/data/x.parquet", id="path"),
    pytest.param(Device.CPU, "Device.CPU", id="enum-str"),
    pytest.param({"b": 1, "a": 2}, '{"a": 2, "b": 1}', id="mapping-as-json"),
    pytest.param(b"\x01\xff", "01ff", id="bytes-hex"),
    pytest.param(None, None, id="none"),
])
def test_values_are_coerced_to_opentelemetry_types(value: object, expected: object) -> None:
    assert coerce(value) == expected


def test_annotate_sets_prefixed_attributes_on_the_current_recording_span(tracer_and_spans) -> None:
    tracer, exporter = tracer_and_spans
    with tracer.start_as_current_span("worker.train") as span:
        annotate(tenant="payments", model="card_fraud", gpu_device_ids=[0, 1], mlflow_run_id=None, data_path=Path("/d"))
        trace_id = current_trace_id()
    [finished] = exporter.get_finished_spans()
    assert dict(finished.attributes) == {"modelfleet.tenant": "payments", "modelfleet.model": "card_fraud",
                                         "modelfleet.gpu_device_ids": (0, 1), "modelfleet.data_path": "/d"}
    assert trace_id == format(span.get_span_context().trace_id, "032x") and len(trace_id) == 32


def test_annotate_goes_to_the_innermost_current_span(tracer_and_spans) -> None:
    tracer, exporter = tracer_and_spans
    with tracer.start_as_current_span("worker.train"):
        with tracer.start_as_current_span("fit"):
            annotate(epochs=3)
        annotate(tenant="payments")
    attributes = {s.name: dict(s.attributes) for s in exporter.get_finished_spans()}
    assert attributes == {"fit": {"modelfleet.epochs": 3}, "worker.train": {"modelfleet.tenant": "payments"}}


def test_without_a_span_annotate_does_nothing_and_there_is_no_trace_id() -> None:
    assert not trace.get_current_span().is_recording()
    annotate(tenant="payments", model="card_fraud")  # no error, nothing to record on
    assert current_trace_id() is None


def test_a_run_that_was_not_sampled_gets_no_attributes_and_no_trace_id(tracer_and_spans) -> None:
    # What a task sees when tracing is on but its DAG run was head-sampled out: a valid, non-recording parent.
    tracer, exporter = tracer_and_spans
    unsampled = NonRecordingSpan(SpanContext(trace_id=1, span_id=2, is_remote=True, trace_flags=TraceFlags(0)))
    with trace.use_span(unsampled):
        annotate(tenant="payments")
        assert current_trace_id() is None
    assert exporter.get_finished_spans() == ()


def test_the_module_imports_nothing_heavy() -> None:
    import subprocess
    import sys

    code = ("import sys, modelfleet.lineage.tracing; "
            "print(sorted(m for m in ('airflow', 'opentelemetry.sdk', 'google.protobuf', 'numpy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_every_stage_puts_its_tenant_and_model_on_its_task_span(tracer_and_spans) -> None:
    from modelfleet.operators.stage import PipelineStageOperator

    class Stage(PipelineStageOperator):
        def execute(self, context: object) -> None:
            annotate(rows=10)

    tracer, exporter = tracer_and_spans
    stage = Stage(task_id="train", tenant_id="payments", model_name="card_fraud")
    with tracer.start_as_current_span("worker.train"):
        stage.pre_execute({})  # as Airflow's task runner calls it, inside the worker span
        stage.execute({})
    [span] = exporter.get_finished_spans()
    assert dict(span.attributes) == {"modelfleet.tenant": "payments", "modelfleet.model": "card_fraud", "modelfleet.rows": 10}
