"""``/healthz`` and ``/metrics``: the routes that serve the health check and the metrics.

``/healthz`` answers for a load balancer (:class:`bot.health.HealthReport` says what);
``/metrics`` is Prometheus' text format (:class:`bot.metrics.Metrics`), for loopback or the
holder of the metrics token only.
"""

from __future__ import annotations

import hmac
import ipaddress
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST

from bot.health import HealthCheck
from bot.runtime import Runtime


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def _health_check(request: Request) -> HealthCheck:
    check: HealthCheck = request.app.state.health
    return check


RuntimeDep = Annotated[Runtime, Depends(_runtime)]
HealthDep = Annotated[HealthCheck, Depends(_health_check)]


def may_scrape(request: Request, token: str | None) -> bool:
    """Tell whether the client may read ``/metrics``: from loopback, or with the token."""
    client = request.client
    if client is not None and _is_loopback(client.host):
        return True
    if not token:
        return False
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.encode(), token.encode())


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def monitoring_routes() -> APIRouter:
    """Return the router of ``/healthz`` and ``/metrics`` (the app sets ``state.health``)."""
    router = APIRouter()

    @router.get("/healthz")
    async def healthz(health: HealthDep) -> JSONResponse:
        """Tell a load balancer whether this process can do its job, and why not."""
        report = await health.report()
        return JSONResponse(report.as_json(), status_code=200 if report.serving else 503)

    @router.get("/metrics")
    async def metrics(request: Request, rt: RuntimeDep, health: HealthDep) -> Response:
        """Expose the metrics in Prometheus' text format, to loopback or the token's holder."""
        token = rt.settings.metrics_token
        if not may_scrape(request, token.get_secret_value() if token else None):
            return Response(status_code=403)
        rt.metrics.observe_health(await health.report())
        return Response(rt.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    return router
