"""One access-log line per event, with the fields of API Gateway's access logs."""

from __future__ import annotations

from wslab.local.gateway.events import request_time

__all__ = ["access_log_line"]


def access_log_line(
    *,
    now_ms: int,
    source_ip: str,
    api_id: str,
    stage: str,
    event_type: str,
    route_key: str,
    connection_id: str,
    status: int,
    request_id: str,
    integration_latency_ms: int | None,
    error: str = "",
) -> str:
    """``$context`` variables in the shape of API Gateway's CLF access-log format."""
    latency = "-" if integration_latency_ms is None else f"{integration_latency_ms}ms"
    line = (
        f'{source_ip} - - [{request_time(now_ms)}] "{event_type} {route_key} {connection_id}" '
        f"{status} {request_id} api={api_id} stage={stage} integrationLatency={latency}"
    )
    return f"{line} error={error!r}" if error else line
