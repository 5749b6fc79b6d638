"""CSV start lists over /api/v1: `POST /api/v1/editions/{id}/participants.csv` imports the raw
file of the body (options as query parameters named like the CLI's flags) and answers the
import report; `GET` streams the edition's start list as CSV. Both need a connect token whose
scope covers the edition; a start list holds personal data, so it is never public."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from typing import Any, BinaryIO, cast

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response, StreamingResponse

from startline.api.errors import PREFIX
from startline.dialects.tracx.auth import Credential, SessionTokens
from startline.dialects.tracx.errors import NOT_FOUND, TracxHttpError, too_many_items, unprocessable
from startline.dialects.tracx.guards import authorize
from startline.dialects.tracx.routes import Authorization
from startline.domain.accounts.service import PARTICIPANTS_LIST, PARTICIPANTS_STORE_MULTIPLE
from startline.domain.scopes import is_edition_in_scope
from startline.http.context import Services
from startline.startlists.exporting import (
    EditionEvents,
    ExportRefused,
    export_chunks,
    prepare_export,
)
from startline.startlists.importing import (
    ImportOptions,
    ImportRefused,
    TooManyRows,
    import_start_list,
)
from startline.startlists.options import (
    ExportOptions,
    Lookup,
    OptionsInvalid,
    export_options,
    import_options,
)

CSV_PATH = re.compile(rf"^{PREFIX}/editions/[^/]+/participants\.csv$")
_PATH_ID = re.compile(r"^[0-9]{1,18}$")
# The body is spooled: held in memory up to this size, then in a temporary file.
SPOOL_BYTES = 1024 * 1024

_REPORT_EXAMPLE = {
    "message": "1 row refused; nothing was written.",
    "rows": 3,
    "created": 0,
    "updated": 0,
    "unchanged": 0,
    "refused": 1,
    "errors": [
        {
            "line": 4,
            "column": "date_of_birth",
            "value": "31.02.1990",
            "reason": "no such day in the calendar",
        }
    ],
    "warnings": ['"Email" is not stored by startline; ignored'],
    "dry_run": False,
    "written": False,
    "encoding": "utf-8",
    "delimiter": ";",
}
IMPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "Imported (with `partial`, the good rows; the others in `errors`)."},
    401: {"description": "No or a wrong token."},
    403: {"description": "The token lacks permissions.participants.store-multiple."},
    404: {"description": "No such edition in the token's scope."},
    413: {"description": "The body or the number of rows is over the batch limits."},
    422: {
        "description": "Strict mode refused rows (the report, nothing written), the file "
        "cannot be read as a start list, or an option is not valid.",
        "content": {"application/json": {"example": _REPORT_EXAMPLE}},
    },
}
EXPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The start list as CSV (UTF-8; with `excel`, a BOM and `;`).",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    },
    401: {"description": "No or a wrong token."},
    403: {"description": "The token lacks permissions.participants.list."},
    404: {"description": "No such edition (or event) in the token's scope."},
    422: {"description": "An option is not valid."},
}
_IMPORT_BODY = {
    "requestBody": {
        "required": True,
        "description": "The CSV file itself (any content type).",
        "content": {"text/csv": {"schema": {"type": "string", "format": "binary"}}},
    }
}


def _lookup(query: Any) -> Lookup:
    """A query parameter by its CLI name (`dry-run`) or with underscores (`dry_run`)."""

    def lookup(name: str) -> str | None:
        value = query.get(name)
        if value is None and "-" in name:
            value = query.get(name.replace("-", "_"))
        return None if value is None else str(value)

    return lookup


def build_startlists_router(services: Services) -> APIRouter:
    tokens = SessionTokens(services.secret_key, services.settings.session_token_ttl_seconds)
    router = APIRouter(prefix=PREFIX, tags=["start lists"])

    def guard(
        authorization: str | None, permission: str, edition_id: str
    ) -> tuple[Credential, int]:
        credential, _ = authorize(services, tokens, authorization, permission)
        if not _PATH_ID.match(edition_id):
            raise TracxHttpError(404, NOT_FOUND)
        with services.db.reading() as session:
            if not is_edition_in_scope(session, scope=credential.scope, edition_id=int(edition_id)):
                raise TracxHttpError(404, NOT_FOUND)
        return credential, int(edition_id)

    @router.post(
        "/editions/{edition_id}/participants.csv",
        name="import_start_list",
        responses=IMPORT_RESPONSES,
        openapi_extra=_IMPORT_BODY,
    )
    async def import_csv(
        edition_id: str, request: Request, authorization: Authorization
    ) -> JSONResponse:
        """Import a start list: the raw CSV file as the body. Query parameters, as the CLI's
        flags: `event`, `mode` (upsert|add|update), `match` (unique_id|bib), `dry-run`,
        `partial`, `delimiter` (auto|,|;|tab), `encoding` (auto|utf-8|utf-16|cp1252),
        `date-format` (e.g. DD/MM/YYYY), `ignore-unknown`. Strict (all or nothing) unless
        `partial`; 422 with the report when strict mode refused any row."""
        _, edition = await run_in_threadpool(
            guard, authorization, PARTICIPANTS_STORE_MULTIPLE, edition_id
        )
        try:
            options = import_options(
                edition,
                _lookup(request.query_params),
                max_rows=services.settings.batch_max_items,
            )
        except OptionsInvalid as exc:
            return unprocessable(exc.errors)
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as body:
            async for chunk in request.stream():
                body.write(chunk)
            body.seek(0)
            return await run_in_threadpool(_import, services, cast(BinaryIO, body), options)

    @router.get(
        "/editions/{edition_id}/participants.csv",
        name="export_start_list",
        responses=EXPORT_RESPONSES,
        response_class=Response,
    )
    async def export_csv(
        edition_id: str,
        request: Request,
        authorization: Authorization,
    ) -> Response:
        """The edition's start list as CSV, streamed. Query parameters: `event` (name or id:
        one event only), `columns` (tracx|runsignup|raceresult), `excel` (true: a UTF-8 BOM
        and `;`), `delimiter` (`,`, `;` or `tab`: wins over the default of either)."""
        _, edition = await run_in_threadpool(guard, authorization, PARTICIPANTS_LIST, edition_id)
        try:
            asked = export_options(_lookup(request.query_params))
        except OptionsInvalid as exc:
            return unprocessable(exc.errors)
        try:
            events, event_id = await run_in_threadpool(
                prepare_export, services.db, edition_id=edition, event=asked.event
            )
        except ExportRefused as exc:
            raise TracxHttpError(404, NOT_FOUND) from exc
        name = f"edition-{edition}-participants.csv"
        return StreamingResponse(
            _chunks(services, edition, event_id, asked, events),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="{name}"',
                "Cache-Control": "no-store",
            },
        )

    return router


def _chunks(
    services: Services,
    edition: int,
    event_id: int | None,
    asked: ExportOptions,
    events: EditionEvents,
) -> Iterator[bytes]:
    """The CSV in chunks, read in one transaction while the client takes them."""
    yield from export_chunks(
        services.db,
        edition_id=edition,
        event_id=event_id,
        family=asked.family,
        excel=asked.excel,
        delimiter=asked.delimiter,
        events=events,
    )


def _import(services: Services, body: BinaryIO, options: ImportOptions) -> JSONResponse:
    try:
        report = import_start_list(services.db, body, options)
    except TooManyRows as exc:
        raise too_many_items(exc.limit) from None
    except ImportRefused as exc:
        return unprocessable({"file": exc.problems})
    status = 422 if report.refused and not options.partial else 200
    return JSONResponse(report.document(), status_code=status)
