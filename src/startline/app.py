"""create_app(settings): the ASGI application with both dialects, health and offline docs."""

from __future__ import annotations

import logging

import swagger_ui_bundle
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from startline.db.engine import Database
from startline.db.migrate import is_up_to_date, upgrade
from startline.domain.accounts.secrets import SecretBox
from startline.http.body_limit import BodyLimitMiddleware
from startline.http.context import Services
from startline.http.logging import RequestLogMiddleware
from startline.settings import Settings, SettingsError

logger = logging.getLogger("startline.app")


class SchemaOutOfDate(SettingsError):
    pass


def prepare_schema(db: Database, settings: Settings) -> None:
    """Embedded SQLite: apply pending migrations. Otherwise: refuse an out-of-date schema."""
    if is_up_to_date(db.engine):
        return
    if settings.is_embedded:
        upgrade(settings.resolved_database_url)
        return
    raise SchemaOutOfDate("The database schema is out of date: run `startline db upgrade` first.")


def _operation_id(route: APIRoute) -> str:
    return route.name


def create_app(settings: Settings | None = None, *, database: Database | None = None) -> FastAPI:
    settings = settings or Settings()
    secret_key = settings.resolved_secret_key()
    db = database or Database(settings.resolved_database_url, **settings.database_options())
    prepare_schema(db, settings)
    services = Services(settings=settings, db=db, secret_key=secret_key, box=SecretBox(secret_key))

    app = FastAPI(
        title="startline",
        version="0.1.0",
        summary="RunSignup-compatible race API and Tracx-compatible Connect API on one database",
        docs_url=None,
        redoc_url=None,
        generate_unique_id_function=_operation_id,
    )
    app.state.services = services

    _install_core_routes(app, services)
    # Imported here: dialects depend on this module's Services, not the other way round.
    from startline import api
    from startline.dialects import runsignup, tracx

    runsignup.install(app, services)
    tracx.install(app, services)
    api.install(app, services)
    if settings.enable_bench_routes:
        from startline.http import bench_routes

        bench_routes.install(app)

    _install_error_handlers(app, services)
    app.add_middleware(
        BodyLimitMiddleware, limits=services.body_limits, default_max_bytes=settings.max_body_bytes
    )
    app.add_middleware(RequestLogMiddleware)
    app.router.add_event_handler("shutdown", db.dispose)
    return app


def _install_core_routes(app: FastAPI, services: Services) -> None:
    app.mount(
        "/static/swagger",
        StaticFiles(directory=swagger_ui_bundle.swagger_ui_path),
        name="swagger-assets",
    )

    @app.get("/healthz", tags=["health"], name="healthz")
    def healthz() -> JSONResponse:
        if services.db.ping():
            return JSONResponse({"status": "ok", "database": "ok"})
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title="startline API",
            swagger_js_url="/static/swagger/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger/swagger-ui.css",
            swagger_favicon_url="/static/swagger/favicon-32x32.png",
        )


def _install_error_handlers(app: FastAPI, services: Services) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        for matches, render in services.error_renderers:
            if matches(request.url.path):
                response = render(request, exc.status_code, str(exc.detail))
                for name, value in (exc.headers or {}).items():
                    response.headers[name] = value
                return response
        return JSONResponse(
            {"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(ClientDisconnect)
    async def client_gone(request: Request, exc: ClientDisconnect) -> Response:
        # The client hung up mid-body: nothing was done and nobody is left to answer.
        return Response(status_code=400)

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, exc: Exception) -> Response:
        logger.exception(
            "unhandled error",
            extra={"fields": {"request_id": request.scope.get("state", {}).get("request_id")}},
        )
        for matches, render in services.error_renderers:
            if matches(request.url.path):
                return render(request, 500, "Server Error")
        return JSONResponse({"detail": "Internal Server Error"}, status_code=500)


def app_from_environment() -> FastAPI:
    """Factory for uvicorn (`--factory`), so each worker process builds its own app."""
    from startline.http.logging import configure_logging

    settings = Settings()
    configure_logging(settings.log_level)
    return create_app(settings)
