"""Benchmark entry point: `python -m bench [--quick] [--db sqlite|postgresql|all]`.

Starts real `startline serve` processes on SQLite and (when reachable) PostgreSQL, drives them
with wrk, prints a table, the targets and the ratios (last), and writes
bench/results-<timestamp>.json."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # `python bench/run.py`: import the package, not loose modules
    ROOT = Path(__file__).resolve().parent.parent
    sys.path[:1] = [str(ROOT)]
    __package__ = "bench"  # noqa: A001

from bench import report  # noqa: E402
from bench.scenarios import GROUPS, Options, run_kind  # noqa: E402
from bench.wrk import WrkMissing, wrk_path  # noqa: E402

BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: 3 s per load run, a 5,000-row batch"
    )
    parser.add_argument(
        "--db",
        choices=("sqlite", "postgresql", "all"),
        default="all",
        help="database kinds to run (default: all; PostgreSQL when reachable)",
    )
    parser.add_argument(
        "--pg-admin-url",
        default=os.environ.get("BENCH_PG_ADMIN_URL", DEFAULT_PG),
        help="a PostgreSQL URL allowed to CREATE/DROP DATABASE "
        "(env BENCH_PG_ADMIN_URL); a throw-away database is made on it",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="record the server with py-spy during the main scenarios and "
        "write summaries to bench/profiles/",
    )
    parser.add_argument(
        "--no-log-check",
        action="store_true",
        help="skip measuring the request log's cost at log level info",
    )
    parser.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a setting for every server, e.g. STARTLINE_SQLITE_SYNCHRONOUS=NORMAL (repeatable)",
    )
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        choices=GROUPS,
        help="run only this scenario group (repeatable), e.g. --only participants",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="results JSON path (default bench/results-<timestamp>.json)",
    )
    return parser.parse_args(argv)


def _pg_url(admin_url: str, database: str) -> str:
    base, _, _ = admin_url.rpartition("/")
    return f"{base}/{database}"


def _pg_admin(admin_url: str, sql: str) -> None:
    import psycopg

    dsn = admin_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True, connect_timeout=3) as connection:
        connection.execute(sql)  # type: ignore[arg-type]


def _git(*args: str) -> str:
    try:
        return subprocess.run(
            ["git", *args], cwd=BENCH_DIR, capture_output=True, text=True, timeout=30, check=False
        ).stdout
    except OSError:
        return ""


def _source_state() -> tuple[str, str]:
    """(the commit measured, "+changes" when src/ differs from it; a fingerprint of src/ as
    the servers import it). The servers import the working tree, which others may be editing
    while the bench runs; commits elsewhere (tests, docs) do not change the fingerprint."""
    commit = _git("rev-parse", "--short", "HEAD").strip()
    tree = _git("rev-parse", "HEAD:src").strip()
    changes = _git("diff", "HEAD", "--", "../src") + _git("status", "--porcelain", "--", "../src")
    fingerprint = hashlib.sha1((tree + changes).encode()).hexdigest()[:12]
    return (commit + ("+changes" if changes.strip() else "")), fingerprint


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        wrk = wrk_path()
    except WrkMissing as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    profile_dir = BENCH_DIR / "profiles" if args.profile else None
    if profile_dir is not None:
        profile_dir.mkdir(exist_ok=True)
    extra: dict[str, str] = {}
    for item in args.server_env:
        name, sep, value = item.partition("=")
        if not sep or not name:
            print(f"error: --server-env wants NAME=VALUE, got {item!r}", file=sys.stderr)
            return 2
        extra[name] = value
    options = Options.make(
        quick=args.quick,
        profile_dir=profile_dir,
        log_check=not args.no_log_check,
        server_env=extra,
        only=tuple(args.only),
    )
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = args.out or BENCH_DIR / f"results-{stamp}.json"
    started = time.monotonic()
    meta: dict[str, Any] = {
        "timestamp": stamp,
        "mode": "quick" if args.quick else "full",
        "source": "",
        "src_fingerprint": "",
        "python": platform.python_version(),
        "machine": platform.platform(),
        "cpus": os.cpu_count(),
        "wrk": wrk,
        "duration_s_per_load_run": options.duration_s,
        "batch_rows": options.batch_size,
        "seeded_runners_for_updates": options.seeded,
        "server_env": extra,
        "only": list(args.only),
    }
    meta["source"], meta["src_fingerprint"] = _source_state()
    rows: list[dict[str, Any]] = []
    notes: list[str] = []
    print(f"measuring {meta['source']} ({meta['mode']} mode)", flush=True)

    if args.db in ("sqlite", "all"):
        try:
            rows += run_kind("sqlite", "", options).rows
        except Exception as exc:  # the report still prints what the other kind measured
            notes.append(f"sqlite run failed: {exc}")
            print(f"error: sqlite run failed: {exc}", file=sys.stderr)
    if args.db in ("postgresql", "all"):
        pg_rows, note = _run_postgresql(args.pg_admin_url, options, required=args.db != "all")
        rows += pg_rows
        if note:
            notes.append(note)

    meta["elapsed_s"] = round(time.monotonic() - started, 1)
    meta["source_at_end"], meta["src_fingerprint_at_end"] = _source_state()
    if meta["src_fingerprint_at_end"] != meta["src_fingerprint"]:
        notes.append(
            f"src/ changed during the run ({meta['source']} -> "
            f"{meta['source_at_end']}): servers started later ran newer code"
        )
    ratios = report.ratios(rows)
    targets = report.targets(rows)
    out.write_text(
        json.dumps(
            {"meta": meta, "results": rows, "ratios": ratios, "targets": targets, "notes": notes},
            indent=2,
            default=str,
        )
    )
    report.print_all(rows, ratios, targets, notes)
    print(f"\nresults: {out}  ({meta['elapsed_s']} s)")
    return 0


def _run_postgresql(
    admin_url: str, options: Options, *, required: bool
) -> tuple[list[dict[str, Any]], str]:
    name = f"startline_bench_{os.getpid()}"
    try:
        _pg_admin(admin_url, f"CREATE DATABASE {name}")
    except Exception as exc:
        note = f"PostgreSQL not reachable at {admin_url} ({type(exc).__name__}): skipped"
        print(("error: " if required else "note: ") + note, file=sys.stderr)
        return [], note
    try:
        return run_kind("postgresql", _pg_url(admin_url, name), options).rows, ""
    except Exception as exc:
        print(f"error: postgresql run failed: {exc}", file=sys.stderr)
        return [], f"postgresql run failed: {exc}"
    finally:
        try:
            _pg_admin(admin_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        except Exception as exc:
            print(f"warning: could not drop {name}: {exc}", file=sys.stderr)


if __name__ == "__main__":
    raise SystemExit(main())
