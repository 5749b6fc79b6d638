"""Benchmark-only route: parse a participant-sized JSON body and return it, touching no
database. It measures the framework's ceiling; enabled only by STARTLINE_ENABLE_BENCH_ROUTES."""

from __future__ import annotations

import json

from fastapi import FastAPI, Request
from fastapi.responses import Response


def install(app: FastAPI) -> None:
    @app.post("/bench/echo", include_in_schema=False)
    async def echo(request: Request) -> Response:
        body = json.loads(await request.body())
        return Response(json.dumps({"data": body}), media_type="application/json")
