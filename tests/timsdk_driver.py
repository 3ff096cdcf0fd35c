"""Running the Node scenarios of tests/timsdk/ (Tencent's unmodified tim-js-sdk) against a
live server, and reading the facts they report."""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path
from typing import Any

SCENARIOS = Path(__file__).parent / "timsdk"


class ScenarioFailed(AssertionError):
    pass


def proxy_server(server_url: str) -> str:
    """The ``proxyServer`` a page gives TIM.create for a server at ``server_url``."""
    return server_url.replace("http://", "ws://", 1) + "/tim"


async def run_scenario(name: str, config: dict[str, Any], timeout: float = 90) -> dict[str, Any]:
    """Run tests/timsdk/<name>.mjs with ``config``; the facts it recorded, or
    ScenarioFailed with its error, its facts so far and its log."""
    process = await asyncio.create_subprocess_exec(
        "node",
        str(SCENARIOS / f"{name}.mjs"),
        json.dumps(config),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise ScenarioFailed(f"{name}.mjs ran past {timeout} s") from None
    lines = out.decode().strip().splitlines()
    try:
        report = json.loads(lines[-1])
    except (IndexError, ValueError):
        log = f"{out.decode()}\n{err.decode()}"
        raise ScenarioFailed(f"{name}.mjs reported nothing:\n{log}") from None
    if not report["ok"]:
        raise ScenarioFailed(
            f"{name}.mjs failed: {report['error']}\nfacts: {report['facts']}\n"
            f"log:\n{out.decode()[-6000:]}\n{err.decode()[-3000:]}"
        )
    return report["facts"]
