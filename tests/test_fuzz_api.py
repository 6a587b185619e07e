"""Schemathesis over every operation of /openapi.json, against the live web + worker, as an
admin, a broker and a provider: no answer may be a server error, and every answer must match
the document (status, content type, body schema). Bounded in time: a fixed number of
examples per operation, so the run takes a couple of minutes on two cores.

Run it alone (prints the figures):
    .venv/bin/python -m pytest tests/test_fuzz_api.py -q -s
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import World

EXAMPLES = 15
# One worker: with two, hypothesis describes filters by parsing lambda source in two threads at
# once, which trips CPython 3.11's "AST constructor recursion depth mismatch" (a tool crash).
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
# Signing out would revoke the token the run authenticates with; it is tested in test_accounts.
EXCLUDE = ["--exclude-path", "/api/auth/logout"]


async def schemathesis(base_url: str, token: str, report: Path) -> tuple[int, str]:
    cli = Path(sys.executable).parent / "schemathesis"
    args = [
        str(cli), "run", f"{base_url}/openapi.json", "--header", f"Authorization: Bearer {token}",
        "--checks", CHECKS, "--max-examples", str(EXAMPLES), "--phases", "examples,coverage,fuzzing",
        "--seed", "10", "--workers", "1", "--generation-database", "none", "--request-timeout", "20",
        "--no-color", "--report", "json", "--report-json-path", str(report), *EXCLUDE,
    ]
    # Run in the report's directory: schemathesis keeps a crash cache in its working directory.
    proc = await asyncio.create_subprocess_exec(*args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
                                                cwd=report.parent)
    out, _ = await proc.communicate()
    return proc.returncode or 0, out.decode(errors="replace")


@pytest.mark.timeout(900)
async def test_schemathesis_finds_nothing_for_any_role(world: World, tmp_path: Path) -> None:
    base = world.service.url()
    document = await world.broker("GET", "/openapi.json")
    operations = sum(len(methods) for methods in document["paths"].values())
    started = time.monotonic()
    summaries = []
    for role, client in (("admin", world.admin), ("broker", world.broker), ("provider", world.users["Alpha Care"])):
        code, out = await schemathesis(base, client.token or "", tmp_path / f"{role}.json")
        tail = "\n".join(out.strip().splitlines()[-40:])
        assert code == 0, f"schemathesis as {role} found problems:\n{out[-12000:]}"
        summaries.append(f"{role}: {_figures(tmp_path / f'{role}.json') or tail.splitlines()[-1]}")
    print(f"\nschemathesis: operations={operations} examples_per_operation<={EXAMPLES} "
          f"seconds={time.monotonic() - started:.0f}\n" + "\n".join(summaries))


def _figures(report: Path) -> str:
    try:
        data = json.loads(report.read_text())
    except (OSError, ValueError):
        return ""
    cases = data.get("test_cases", {})
    return (f"operations_tested={data.get('operations', {}).get('tested')} test_cases={cases.get('generated')} "
            f"failures={cases.get('with_failures')} errors={len(data.get('errors', []))} "
            f"seconds={data.get('running_time', 0):.0f}")
