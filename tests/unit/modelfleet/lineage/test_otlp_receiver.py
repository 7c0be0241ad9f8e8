"""The OTLP/HTTP receiver keeps what OpenTelemetry's own exporter sends: ids, parent links, attributes, status."""

from __future__ import annotations

import gzip
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Status, StatusCode

from modelfleet.lineage import otlp_receiver
from modelfleet.lineage.otlp_receiver import load_spans, spans_of_trace


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[otlp_receiver.ReceiverServer]:
    server = otlp_receiver.serve_in_thread(tmp_path / "traces" / "spans.jsonl")
    yield server
    otlp_receiver.stop(server)


def export(endpoint: str, compression: Compression = Compression.NoCompression) -> tuple[str, dict[str, str]]:
    """A dag_run -> task_run -> worker chain made and sent by the SDK's real OTLP/HTTP exporter; (trace id, span ids)."""
    provider = TracerProvider(resource=Resource({"service.name": "modelfleet"}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint, compression=compression)))
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("dag_run.payments__card_fraud") as root:
        with tracer.start_as_current_span("task_run.train") as task:
            with tracer.start_as_current_span("worker.train", attributes={"airflow.task_id": "train"}) as worker:
                worker.set_attributes({"modelfleet.tenant": "payments", "modelfleet.gpu_device_ids": [0, 1],
                                       "modelfleet.auc": 0.91, "modelfleet.promoted": True})
                worker.set_status(Status(StatusCode.ERROR, "boom"))
    assert provider.force_flush(10_000)
    provider.shutdown()
    ids = {s.name: format(s.get_span_context().span_id, "016x") for s in (root, task, worker)}
    return format(root.get_span_context().trace_id, "032x"), ids


@pytest.mark.parametrize("compression", [Compression.NoCompression, Compression.Gzip], ids=["plain", "gzip"])
def test_spans_from_the_sdk_exporter_round_trip(receiver, compression: Compression) -> None:
    trace_id, ids = export(receiver.endpoint, compression)
    spans = {s["name"]: s for s in spans_of_trace(receiver.spans.path, trace_id)}
    assert set(spans) == set(ids)
    root, task, worker = spans["dag_run.payments__card_fraud"], spans["task_run.train"], spans["worker.train"]
    assert root["parent_span_id"] is None and root["span_id"] == ids["dag_run.payments__card_fraud"]
    assert task["parent_span_id"] == root["span_id"] and worker["parent_span_id"] == task["span_id"]
    assert worker["attributes"] == {"airflow.task_id": "train", "modelfleet.tenant": "payments",
                                    "modelfleet.gpu_device_ids": [0, 1], "modelfleet.auc": 0.91, "modelfleet.promoted": True}
    assert worker["status"] == {"code": "ERROR", "message": "boom"} and root["status"]["code"] == "UNSET"
    assert {s["service"] for s in spans.values()} == {"modelfleet"} and worker["kind"] == "INTERNAL"
    assert root["start_ns"] <= task["start_ns"] <= worker["start_ns"] <= worker["end_ns"] <= root["end_ns"]


def test_traces_are_kept_apart(receiver) -> None:
    first, _ = export(receiver.endpoint)
    second, _ = export(receiver.endpoint)
    assert first != second
    assert len(load_spans(receiver.spans.path)) == 6
    assert {s["trace_id"] for s in spans_of_trace(receiver.spans.path, second.upper())} == {second}


def test_otlp_json_is_accepted(receiver) -> None:
    trace_id, span_id = "5b8efff798038103d269b633813fc60c", "eee19b7ec3c1b174"
    body = {"resourceSpans": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "elsewhere"}}]},
        "scopeSpans": [{"scope": {"name": "manual"}, "spans": [{
            "traceId": trace_id, "spanId": span_id, "parentSpanId": "", "name": "hello", "kind": 2,
            "startTimeUnixNano": "1544712660000000000", "endTimeUnixNano": "1544712661000000000",
            "attributes": [{"key": "n", "value": {"intValue": "3"}},
                           {"key": "ids", "value": {"arrayValue": {"values": [{"intValue": "0"}, {"intValue": "1"}]}}}],
            "status": {"code": 1}}]}]}]}
    response = httpx.post(receiver.endpoint, content=json.dumps(body), headers={"Content-Type": "application/json"})
    assert response.status_code == 200 and response.json() == {}
    [span] = load_spans(receiver.spans.path)
    assert span == {"trace_id": trace_id, "span_id": span_id, "parent_span_id": None, "name": "hello", "kind": "SERVER",
                    "start_ns": 1544712660000000000, "end_ns": 1544712661000000000,
                    "status": {"code": "OK", "message": ""}, "attributes": {"n": 3, "ids": [0, 1]},
                    "service": "elsewhere", "scope": "manual"}


@pytest.mark.parametrize(("path", "body", "headers", "status"), [
    pytest.param("/v1/traces", b"\xff\xff\xff", {"Content-Type": "application/x-protobuf"}, 400, id="not-protobuf"),
    pytest.param("/v1/traces", b"{", {"Content-Type": "application/json"}, 400, id="not-json"),
    pytest.param("/v1/traces", b"plain", {"Content-Type": "application/x-protobuf", "Content-Encoding": "gzip"}, 400,
                 id="not-gzip"),
    pytest.param("/v1/metrics", b"", {"Content-Type": "application/x-protobuf"}, 404, id="no-metrics"),
])
def test_bad_requests_are_refused_and_nothing_is_written(receiver, path: str, body: bytes, headers: dict, status: int) -> None:
    base = receiver.endpoint.removesuffix("/v1/traces")
    assert httpx.post(base + path, content=body, headers=headers).status_code == status
    assert httpx.get(base + "/health").status_code == 200  # still serving
    assert load_spans(receiver.spans.path) == []


def test_an_empty_request_is_fine(receiver) -> None:
    body = gzip.compress(b"")
    response = httpx.post(receiver.endpoint, content=body,
                          headers={"Content-Type": "application/x-protobuf", "Content-Encoding": "gzip"})
    assert response.status_code == 200 and load_spans(receiver.spans.path) == []


def test_readers_skip_a_cut_line_and_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "spans.jsonl"
    assert load_spans(path) == []
    good = {"trace_id": "a" * 32, "span_id": "b" * 16, "name": "x", "start_ns": 1}
    path.write_text(json.dumps(good) + "\n" + '{"trace_id": "cut' + "\n" + json.dumps(good)[:10])
    assert load_spans(path) == [good]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_runs_as_a_module_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    port, out = free_port(), tmp_path / "spans.jsonl"
    process = subprocess.Popen([sys.executable, "-m", "modelfleet.lineage.otlp_receiver", "--port", str(port), "--out", str(out)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                assert time.monotonic() < deadline and process.poll() is None, process.stdout.read()
                time.sleep(0.1)
        trace_id, _ = export(f"http://127.0.0.1:{port}/v1/traces")
        os.kill(process.pid, signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
    assert len(spans_of_trace(out, trace_id)) == 3
