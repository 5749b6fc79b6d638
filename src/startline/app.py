"""create_app(settings): the ASGI application with both dialects, health and offline docs."""

from __future__ import annotations

import swagger_ui_bundle
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from startline.db import probe
from startline.db.engine import Database
from startline.db.group_commit import GroupCommitter
from startline.db.migrate import SchemaOutOfDate, head_revision, prepare_schema
from startline.domain.accounts.secrets import SecretBox
from startline.domain.changes import journal
from startline.http import metrics
from startline.http.body_limit import BodyLimitMiddleware
from startline.http.context import Services, render_error
from startline.http.errors import RETRY_AFTER_SECONDS, ErrorMiddleware
from startline.http.logging import RequestLogMiddleware
from startline.settings import Settings
from startline.version import VERSION

__all__ = ["SchemaOutOfDate", "app_from_environment", "create_app", "prepare_schema"]


def _operation_id(route: APIRoute) -> str:
    return route.name


def create_app(
    settings: Settings | None = None,
    *,
    database: Database | None = None,
    webhook_sender: bool = False,
) -> FastAPI:
    """The application; with `webhook_sender` (what `startline serve` asks for unless
    STARTLINE_WEBHOOK_SENDER=false) a webhook sender thread runs with its lifespan."""
    settings = settings or Settings()
    secret_key = settings.resolved_secret_key()
    db = database or Database(settings.resolved_database_url, **settings.database_options())
    prepare_schema(db, settings)
    services = Services(
        settings=settings,
        db=db,
        secret_key=secret_key,
        box=SecretBox(secret_key),
        writer=GroupCommitter(
            db,
            unit_started=journal.start_unit,
            unit_failed=journal.discard_unit,
            writers=settings.postgresql_writers,
        ),
    )

    app = FastAPI(
        title="startline",
        version=VERSION,
        summary="RunSignup-compatible race API and Tracx-compatible Connect API on one database",
        docs_url=None,
        redoc_url=None,
        generate_unique_id_function=_operation_id,
    )
    app.state.services = services

    _install_core_routes(app, services)
    # Imported here: dialects depend on this module's Services, not the other way round.
    from startline import api, pages
    from startline.dialects import runsignup, tracx

    runsignup.install(app, services)
    tracx.install(app, services)
    api.install(app, services)
    pages.install(app, services)
    if settings.enable_bench_routes:
        from startline.http import bench_routes

        bench_routes.install(app)

    _install_error_handlers(app, services)
    # Outermost last: request log (id, one line) > metrics > errors (503/500 answers) > body
    # limit (413) > the dialects' own layers > the routes.
    app.add_middleware(
        BodyLimitMiddleware, limits=services.body_limits, default_max_bytes=settings.max_body_bytes
    )
    app.add_middleware(ErrorMiddleware, services=services)
    app.add_middleware(metrics.MetricsMiddleware)
    app.add_middleware(RequestLogMiddleware)
    if webhook_sender:
        from startline.webhooks.sender import Sender

        sender = Sender(db, settings, box=services.box)
        app.router.add_event_handler("startup", sender.start)
        app.router.add_event_handler("shutdown", sender.stop)  # before the pool is disposed
    pool_sampler = metrics.PoolSampler(db.engine)
    app.router.add_event_handler("startup", pool_sampler.start)
    app.router.add_event_handler("shutdown", pool_sampler.stop)
    app.router.add_event_handler("shutdown", services.writer.close)  # before the pool goes
    app.router.add_event_handler("shutdown", db.dispose)
    app.router.add_event_handler("shutdown", metrics.process_stopping)
    return app


def _install_core_routes(app: FastAPI, services: Services) -> None:
    app.mount(
        "/static/swagger",
        StaticFiles(directory=swagger_ui_bundle.swagger_ui_path),
        name="swagger-assets",
    )

    expected_revision = head_revision()

    def healthz() -> JSONResponse:
        """Liveness: the process answers and the database answers a read. A node that
        cannot write (read-only file, full disk) is still alive."""
        return _health_response(probe.liveness(services.db))

    def readyz() -> JSONResponse:
        """Readiness: alive, the schema is this version's, and a write (rolled back) is
        accepted; on SQLite also enough free disk space."""
        return _health_response(probe.readiness(services.db, expected_revision))

    for path, check in (("/healthz", healthz), ("/readyz", readyz)):
        app.get(path, tags=["health"], name=check.__name__)(check)
        app.head(path, include_in_schema=False, name=f"{check.__name__}_head")(check)

    @app.get("/metrics", include_in_schema=False)
    def metrics_text() -> Response:
        return Response(metrics.exposition(), media_type=metrics.CONTENT_TYPE)

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title="startline API",
            swagger_js_url="/static/swagger/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger/swagger-ui.css",
            swagger_favicon_url="/static/swagger/favicon-32x32.png",
        )


def _health_response(report: probe.Report) -> JSONResponse:
    body = {"status": "ok" if report.ok else "unavailable", "version": VERSION, **report.checks}
    if report.ok:
        return JSONResponse(body)
    return JSONResponse(body, status_code=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def _install_error_handlers(app: FastAPI, services: Services) -> None:
    # Unexpected exceptions and an unavailable database: `http/errors.py`'s middleware.
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        response = render_error(services, request, exc.status_code, str(exc.detail))
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response

    @app.exception_handler(ClientDisconnect)
    async def client_gone(request: Request, exc: ClientDisconnect) -> Response:
        # The client hung up mid-body: nothing was done and nobody is left to answer.
        return Response(status_code=400)


def app_from_environment() -> FastAPI:
    """Factory for uvicorn (`--factory`), so each worker process builds its own app."""
    from startline.heap import freeze_startup_heap
    from startline.http.logging import configure_logging

    settings = Settings()
    configure_logging(settings.log_level)
    app = create_app(settings, webhook_sender=settings.webhook_sender)
    app.router.add_event_handler("startup", freeze_startup_heap)  # after the others
    return app
