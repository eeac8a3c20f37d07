"""Every combination, run as a team runs it, prints its traces and metrics when
the standard OTEL_* variables ask for the console exporters.

The rendered service runs under uvicorn with OTEL_TRACES_EXPORTER=console and
OTEL_METRICS_EXPORTER=console and answers one health check; after it is stopped
with SIGTERM (as an orchestrator stops it), its output holds the request's
server span, the span of the SQL statement the check ran, in the same trace, the
request duration metric, and an access line carrying the span's ids. The
rendered suite's own tests (tests/test_telemetry.py there) check the spans and
metrics in detail with the SDK's in-memory exporters, and that nothing is
installed without an exporter.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import yaml

from tests.harness import Environments, RenderedProject, serving

Json = dict[str, Any]


def json_objects(text: str) -> list[Json]:
    """Every JSON object in the output: the log's one-line objects and the console
    exporters' indented ones."""
    decoder = json.JSONDecoder()
    objects: list[Json] = []
    position = 0
    while (start := text.find("{", position)) != -1:
        try:
            value, position = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            position = text.find("\n", start) + 1 or len(text)
            continue
        objects.append(value)
    return objects


def test_the_console_exporters_print_a_request_and_its_sql(
    rendered: RenderedProject, environments: Environments, tmp_path: Path
) -> None:
    log = tmp_path / "service.log"
    variables = {
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'service.db'}",
        "ENVIRONMENT": "test",
        "LOG_FORMAT": "json",
        "OTEL_TRACES_EXPORTER": "console",
        "OTEL_METRICS_EXPORTER": "console",
    }
    with serving(environments, rendered, log, **variables) as service:
        assert httpx.get(f"{service.url}/api/health", timeout=30).status_code == 200
    output = log.read_text(encoding="utf-8")
    objects = json_objects(output)

    spans = [item for item in objects if "context" in item and "kind" in item]
    [server] = [span for span in spans if span["name"] == "GET /api/health"]
    assert server["kind"] == "SpanKind.SERVER", server
    assert server["attributes"]["http.route"] == "/api/health"
    # Unless OTEL_SERVICE_NAME says otherwise, the service's distribution name.
    answers = yaml.safe_load((rendered.path / ".copier-answers.yml").read_text(encoding="utf-8"))
    assert server["resource"]["attributes"]["service.name"] == answers["project_slug"]
    trace_id = server["context"]["trace_id"]
    statements = [
        span
        for span in spans
        if span["context"]["trace_id"] == trace_id
        and {"db.statement", "db.query.text"} & set(span["attributes"])
    ]
    assert statements, output[-4000:]
    assert all(span["kind"] == "SpanKind.CLIENT" for span in statements)

    [access] = [
        line
        for line in objects
        if line.get("logger") == "access" and line.get("path") == "/api/health"
    ]
    assert f"0x{access['trace_id']}" == trace_id
    assert f"0x{access['span_id']}" == server["context"]["span_id"]

    metrics = {
        metric["name"]
        for item in objects
        for resource in item.get("resource_metrics", [])
        for scope in resource["scope_metrics"]
        for metric in scope["metrics"]
    }
    assert {"http.server.duration", "http.server.request.duration"} & metrics, metrics
