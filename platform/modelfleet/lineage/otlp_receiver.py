"""A small OTLP/HTTP traces receiver that keeps every span as one JSON line in a file.

`POST /v1/traces` takes an `ExportTraceServiceRequest`, as protobuf (what
OpenTelemetry's `otlp_proto_http` exporter sends) or as OTLP/JSON, optionally
gzip-compressed; `GET /health` answers 200. The embedded platform runs it as
its `trace-receiver` component, so traces stay on the machine by default, and
tests point the real exporter at it on loopback.

    python -m modelfleet.lineage.otlp_receiver --port 4318 --out spans.jsonl

One line per span:

    {"trace_id": "<32 hex>", "span_id": "<16 hex>", "parent_span_id": "<16 hex>" | null,
     "name": "worker.train", "kind": "INTERNAL", "start_ns": 1, "end_ns": 2,
     "status": {"code": "OK" | "ERROR" | "UNSET", "message": ""},
     "attributes": {"airflow.task_id": "train", ...}, "service": "modelfleet", "scope": "airflow..."}
"""

from __future__ import annotations

import argparse
import base64
import gzip
import json
import signal
import threading
import zlib
from collections.abc import Iterator
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

TRACES_PATH = "/v1/traces"
MAX_BODY_BYTES = 64 * 1024 * 1024
_ID_FIELDS = ("traceId", "spanId", "parentSpanId")


class BadRequest(ValueError):
    """The body is not an ExportTraceServiceRequest."""


def _value(any_value: Any) -> Any:
    """An OTLP AnyValue as plain JSON: scalars, lists, dicts; bytes as hex."""
    kind = any_value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [_value(v) for v in any_value.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: _value(kv.value) for kv in any_value.kvlist_value.values}
    if kind == "bytes_value":
        return any_value.bytes_value.hex()
    return getattr(any_value, kind)


def _attributes(key_values: Any) -> dict[str, Any]:
    return {kv.key: _value(kv.value) for kv in key_values}


def span_records(request: Any) -> list[dict[str, Any]]:
    """One flat dict per span of an ExportTraceServiceRequest."""
    from opentelemetry.proto.trace.v1 import trace_pb2

    records = []
    for resource_spans in request.resource_spans:
        service = _attributes(resource_spans.resource.attributes).get("service.name")
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                records.append({
                    "trace_id": span.trace_id.hex(),
                    "span_id": span.span_id.hex(),
                    "parent_span_id": span.parent_span_id.hex() or None,
                    "name": span.name,
                    "kind": trace_pb2.Span.SpanKind.Name(span.kind).removeprefix("SPAN_KIND_"),
                    "start_ns": span.start_time_unix_nano,
                    "end_ns": span.end_time_unix_nano,
                    "status": {"code": trace_pb2.Status.StatusCode.Name(span.status.code).removeprefix("STATUS_CODE_"),
                               "message": span.status.message},
                    "attributes": _attributes(span.attributes),
                    "service": service,
                    "scope": scope_spans.scope.name or None,
                })
    return records


def _hex_ids_to_base64(node: Any) -> None:
    """OTLP/JSON writes ids as hex; protobuf's JSON parser expects bytes as base64."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _ID_FIELDS and isinstance(value, str):
                try:
                    node[key] = base64.b64encode(bytes.fromhex(value)).decode()
                except ValueError as exc:
                    raise BadRequest(f"{key} {value!r} is not hex") from exc
            else:
                _hex_ids_to_base64(value)
    elif isinstance(node, list):
        for item in node:
            _hex_ids_to_base64(item)


def parse_request(body: bytes, content_type: str) -> Any:
    """An ExportTraceServiceRequest from a protobuf or OTLP/JSON body."""
    from google.protobuf import json_format
    from google.protobuf.message import DecodeError
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    request = ExportTraceServiceRequest()
    if content_type.split(";")[0].strip().lower() == "application/json":
        try:
            document = json.loads(body)
            _hex_ids_to_base64(document)
            json_format.ParseDict(document, request, ignore_unknown_fields=True)
        except (ValueError, json_format.ParseError) as exc:
            raise BadRequest(f"not OTLP/JSON: {exc}") from exc
        return request
    try:
        request.ParseFromString(body)
    except DecodeError as exc:
        raise BadRequest(f"not an ExportTraceServiceRequest: {exc}") from exc
    return request


class SpanFile:
    """Appends span records as JSON lines; one write per request, serialised across handler threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._closed = False
        path.parent.mkdir(parents=True, exist_ok=True)

    def append(self, records: list[dict[str, Any]]) -> bool:
        """False once closed (the records are not kept)."""
        text = "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in records)
        with self._lock:
            if self._closed:
                return False
            if text:
                with self.path.open("a", encoding="utf-8") as out:
                    out.write(text)
            return True

    def close(self) -> None:
        """Wait for a write in progress, then refuse the rest: the process may exit without cutting a line."""
        with self._lock:
            self._closed = True


class _Handler(BaseHTTPRequestHandler):
    server: ReceiverServer
    protocol_version = "HTTP/1.1"  # keep-alive: the exporter reuses one connection
    timeout = 120  # seconds an idle kept-alive connection holds its thread

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if self.path.split("?")[0] == "/health":
            self._reply(HTTPStatus.OK, b'{"status": "ok"}', "application/json")
        else:
            self._reply(HTTPStatus.NOT_FOUND, b"not found", "text/plain")

    def do_POST(self) -> None:  # noqa: N802
        if self.path.split("?")[0] != TRACES_PATH:
            self._discard_body()
            self._reply(HTTPStatus.NOT_FOUND, f"only {TRACES_PATH} is served".encode(), "text/plain")
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            self._reply(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, b"request too large", "text/plain")
            return
        body = self.rfile.read(length)
        content_type = self.headers.get("Content-Type", "application/x-protobuf")
        try:
            encoding = (self.headers.get("Content-Encoding") or "").lower()
            if encoding == "gzip":
                body = gzip.decompress(body)
            elif encoding == "deflate":
                body = zlib.decompress(body)
            request = parse_request(body, content_type)
        except (BadRequest, OSError, EOFError, zlib.error) as exc:
            self._reply(HTTPStatus.BAD_REQUEST, str(exc).encode(), "text/plain")
            return
        if not self.server.spans.append(span_records(request)):
            self.close_connection = True
            self._reply(HTTPStatus.SERVICE_UNAVAILABLE, b"shutting down", "text/plain")
            return
        if content_type.startswith("application/json"):
            self._reply(HTTPStatus.OK, b"{}", "application/json")
        else:
            from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

            self._reply(HTTPStatus.OK, ExportTraceServiceResponse().SerializeToString(), "application/x-protobuf")

    def _discard_body(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length <= MAX_BODY_BYTES:
            self.rfile.read(length)
        else:
            self.close_connection = True

    def _reply(self, status: HTTPStatus, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's signature
        """Only errors reach the log: an exporter posts every few seconds."""

    def log_error(self, format: str, *args: Any) -> None:  # noqa: A002
        super().log_message(format, *args)


class ReceiverServer(ThreadingHTTPServer):
    """Handler threads are daemons (an idle kept-alive connection must not hold up the exit);
    `SpanFile.close()` makes sure none is cut off in the middle of a write."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], out: Path) -> None:
        self.spans = SpanFile(out)
        super().__init__(address, _Handler)

    @property
    def endpoint(self) -> str:
        host, port = self.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else host
        return f"http://{host}:{port}{TRACES_PATH}"


def serve_in_thread(out: Path, host: str = "127.0.0.1", port: int = 0) -> ReceiverServer:
    """Start a receiver on a background thread (port 0: any free one); stop it with `stop(server)`."""
    server = ReceiverServer((host, port), out)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="otlp-receiver", daemon=True).start()
    return server


def stop(server: ReceiverServer) -> None:
    server.shutdown()
    server.server_close()
    server.spans.close()


def iter_spans(path: Path | str) -> Iterator[dict[str, Any]]:
    """The span records in a file the receiver writes, in the order received; an unfinished line is left out."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return
    for line in text.splitlines(keepends=True):
        if not line.endswith("\n") or not line.strip():
            continue
        try:
            yield json.loads(line)
        except ValueError:  # a line cut by a killed receiver
            continue


def load_spans(path: Path | str) -> list[dict[str, Any]]:
    """Every span in the file (none when it does not exist yet)."""
    return list(iter_spans(path))


def spans_of_trace(path: Path | str, trace_id: str) -> list[dict[str, Any]]:
    """The spans of one trace (32 hex digits, any case), by start time."""
    trace_id = trace_id.lower()
    return sorted((s for s in iter_spans(path) if s["trace_id"] == trace_id), key=lambda s: s["start_ns"])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m modelfleet.lineage.otlp_receiver", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4318)
    parser.add_argument("--out", type=Path, required=True, help="JSON-lines file the spans are appended to")
    args = parser.parse_args(argv)
    server = ReceiverServer((args.host, args.port), args.out)

    def on_signal(signum: int, frame: Any) -> None:
        # shutdown() waits for serve_forever to return: call it from another thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    print(f"OTLP/HTTP traces receiver on {server.endpoint}, spans to {args.out}", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
        server.spans.close()


if __name__ == "__main__":
    main()
