"""The CSV scenario: a start list of 50,000 runners in and out, end to end, through both
doors. The file is one a person makes: German Excel's form (UTF-8 BOM, `;`, DD.MM.YYYY
dates, m/w/d genders, IOC country codes, umlauts and leading-zero bibs and chips).

- `startline participants import FILE` as an operator runs it (process start, settings,
  schema check, parse, validate, write, report), then the same file again (every runner
  unchanged), and `startline participants export -o FILE`: wall time, CPU, peak RSS of the
  process (its own rusage).
- `POST /api/v1/editions/{id}/participants.csv` with the file as the body, and the `GET`
  back, on the running server: time from the first byte sent to the last received, peak
  server RSS (sampled).

Always 50,000 rows (the issue's figure), quick mode or not: the runs take seconds."""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

from bench import client, spy
from bench.server import Server, startline_command

ROWS = 50_000
_GENDERS = ("m", "w", "d")
_COUNTRIES = ("GER", "NED", "AUT", "SUI", "DEN")
_FIRST = ("Jürgen", "Zoë", "Øyvind", "Åsa", "Anna", "漢字")
_LAST = ("Müller", "Weiß", "Ødegård", "Groß", "Berg", "Kowalski")


def start_list(event_names: list[str], rows: int = ROWS) -> bytes:
    """The file: a BOM, `;`, and German spreadsheet habits in every column."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(
        [
            "unique_id",
            "start_number",
            "chip_code",
            "first_name",
            "last_name",
            "date_of_birth",
            "gender",
            "country_code",
            "team_name",
            "event",
            "Email",
        ]
    )
    for i in range(rows):
        writer.writerow(
            [
                f"csv{i}",
                f"{i + 1:06d}",  # leading zeros stay
                f"0{i:07d}",
                _FIRST[i % len(_FIRST)],
                f"{_LAST[i % len(_LAST)]} {i}",
                f"{1 + i % 28:02d}.{1 + i % 12:02d}.{1950 + i % 55}",
                _GENDERS[i % 3],
                _COUNTRIES[i % len(_COUNTRIES)],
                "LG Köln; Nord" if i % 3 else "",
                event_names[i % len(event_names)],
                f"runner{i}@example.com",
            ]
        )
    return codecs.BOM_UTF8 + out.getvalue().encode()


def run_command(env: dict[str, str], args: list[str], work_dir: Path) -> dict[str, Any]:
    """`startline ARGS` to its end: exit code, stdout, stderr, wall seconds, and from its
    own rusage (wait4, so nothing else on the machine counts) CPU seconds and peak RSS."""
    out_path, err_path = work_dir / "command.out", work_dir / "command.err"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        started = time.perf_counter()
        process = subprocess.Popen([*startline_command(), *args], env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    return {
        "code": process.returncode,
        "stdout": out_path.read_text(errors="replace"),
        "stderr": err_path.read_text(errors="replace"),
        "seconds": seconds,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "rss_mb": usage.ru_maxrss / 1024,  # kilobytes on Linux
    }


def profile_command(env: dict[str, str], args: list[str], out: Path) -> str | None:
    """A second run of `startline ARGS` under py-spy (all samples, not only the GIL's: the
    command is one thread); the summary's path, None without py-spy."""
    tool = spy.py_spy()
    if tool is None:
        return None
    command = [tool, "record", "--rate", "250", "--format", "raw", "--output", str(out)]
    command += ["--", *startline_command(), *args]
    subprocess.run(command, env=env, capture_output=True, timeout=600, check=False)
    if not out.exists():
        return None
    summary = out.with_suffix(".txt")
    summary.write_text(spy.summarise(out))
    return str(summary)


def _report(stdout: str) -> dict[str, Any]:
    try:
        found = json.loads(stdout)
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def run(ctx: Any, server: Server) -> None:
    """The CLI runs, then the HTTP ones; one report row each."""
    cli_target, http_target = ctx.targets["csvcli"], ctx.targets["csvhttp"]
    names = [f"{k + 1}K" for k in range(len(cli_target.event_ids))]  # as create_targets names
    data = start_list(names)
    path = ctx.work_dir / "start-list.csv"
    path.write_bytes(data)
    # Bytecode as an installed startline has it (this sandbox may turn writing it off, and a
    # command would then compile its sources on every run).
    env = {k: v for k, v in ctx.env().items() if k != "PYTHONDONTWRITEBYTECODE"}
    edition = str(cli_target.edition_id)
    # What any database command costs before its work (interpreter, imports, settings, the
    # schema check): an export of an edition that does not exist.
    for _ in range(2):  # the first run writes the bytecode
        start_up = run_command(env, ["participants", "export", "--edition", "0"], ctx.work_dir)
    ctx.add(
        {
            "scenario": "CSV CLI start-up",
            "status": "ok" if start_up["code"] == 1 else "failed",
            "seconds": start_up["seconds"],
            "cpu_s": start_up["cpu_s"],
            "rss_mb": start_up["rss_mb"],
            "errors": 0 if start_up["code"] == 1 else 1,
        }
    )
    importing = ["participants", "import", str(path), "--edition", edition, "--json"]
    for label, expected in (("insert", "created"), ("again (unchanged)", "unchanged")):
        row: dict[str, Any] = {"scenario": f"CSV import {ROWS} CLI {label}", "rows": ROWS}
        done = run_command(env, importing, ctx.work_dir)
        report = _report(done["stdout"])
        ok = done["code"] == 0 and report.get(expected) == ROWS
        _add(ctx, row, done, start_up, ok, f"exit {done['code']}: {done['stderr'][:300]}")
        if ctx.options.profile_dir is not None and label == "insert":
            again = profile_command(
                env, importing, ctx.options.profile_dir / f"{ctx.kind}-csv-import-cli.collapsed"
            )
            if again:
                row["profile"] = again
    exported = ctx.work_dir / "exported.csv"
    row = {"scenario": f"CSV export {ROWS} CLI", "rows": ROWS}
    done = run_command(
        env, ["participants", "export", "--edition", edition, "-o", str(exported)], ctx.work_dir
    )
    lines = exported.read_bytes().count(b"\n") - 1 if exported.exists() else 0
    ok = done["code"] == 0 and lines == ROWS
    _add(ctx, row, done, start_up, ok, f"{lines} rows: {done['stderr']}")
    _http(ctx, server, http_target.edition_id, data)


def _add(
    ctx: Any,
    row: dict[str, Any],
    done: dict[str, Any],
    start_up: dict[str, Any],
    ok: bool,
    detail: str,
) -> None:
    work = done["cpu_s"] - start_up["cpu_s"]
    ctx.add(
        {
            **row,
            "status": "ok" if ok else "failed",
            "seconds": done["seconds"],
            "rows_per_s": ROWS / done["seconds"],
            # Rows per CPU second (the figure least moved by the neighbours on a shared
            # machine), of the whole command and of its work (less the start-up's CPU).
            "cpu_rows_per_s": ROWS / done["cpu_s"] if done["cpu_s"] else None,
            "work_cpu_rows_per_s": ROWS / work if work > 0 else None,
            "cpu_s": done["cpu_s"],
            "rss_mb": done["rss_mb"],
            "errors": 0 if ok else 1,
            **({} if ok else {"detail": detail}),
        }
    )


def _http(ctx: Any, server: Server, edition_id: int, data: bytes) -> None:
    headers = {"Authorization": ctx.creds["connect_token"], "Content-Type": "text/csv"}
    path = f"/api/v1/editions/{edition_id}/participants.csv"
    for label, method, body in (("import", "POST", data), ("export", "GET", None)):
        row: dict[str, Any] = {"scenario": f"CSV {label} {ROWS} HTTP", "rows": ROWS}
        recorder = None
        if ctx.options.profile_dir is not None and label == "import":
            out = ctx.options.profile_dir / f"{ctx.kind}-csv-import-http.collapsed"
            recorder = (out, spy.start(server.pids()[-1], 60, out))
        server.start_sampling()
        try:
            status, answer, seconds = client.request(server.base_url, method, path, body, headers)
        finally:
            rss = server.stop_sampling()
        if recorder is not None and recorder[1] is not None:
            recorder[1].send_signal(signal.SIGINT)  # py-spy writes its output on Ctrl-C
            recorder[1].wait(timeout=60)
            if recorder[0].exists():
                summary = recorder[0].with_suffix(".txt")
                summary.write_text(spy.summarise(recorder[0]))
                row["profile"] = str(summary)
        if label == "import":
            parsed = client.json_body(answer) or {}
            ok = status == 200 and parsed.get("created") == ROWS
        else:
            ok = status == 200 and answer.count(b"\n") - 1 == ROWS
        ctx.add(
            {
                **row,
                "status": "ok" if ok else "failed",
                "seconds": seconds,
                "rows_per_s": ROWS / seconds,
                "server_cpu_s": server.cpu_used,
                "cpu_rows_per_s": ROWS / server.cpu_used if server.cpu_used else None,
                "machine_busy": server.machine_busy,
                "rss_mb": rss / 2**20,
                "errors": 0 if ok else 1,
                **({} if ok else {"detail": f"HTTP {status}: {answer[:300]!r}"}),
            }
        )
