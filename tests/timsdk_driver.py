"""Running the Node scenarios of tests/timsdk/ (Tencent's unmodified tim-js-sdk) against a
live server, and reading the facts they report."""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

SCENARIOS = Path(__file__).parent / "timsdk"


class ScenarioFailed(AssertionError):
    pass


def proxy_server(server_url: str) -> str:
    """The ``proxyServer`` a page gives TIM.create for a server at ``server_url``."""
    return server_url.replace("http://", "ws://", 1) + "/tim"


Step = Callable[[str], Awaitable[None]]


async def run_scenario(
    name: str, config: dict[str, Any], timeout: float = 90, on_step: Step | None = None
) -> dict[str, Any]:
    """Run tests/timsdk/<name>.mjs with ``config``; the facts it recorded, or
    ScenarioFailed with its error, its facts so far and its log. A line ``STEP <name>``
    the scenario prints is handed to ``on_step`` (the scenario waits for its stdin's
    ``done`` line before it goes on)."""
    process = await asyncio.create_subprocess_exec(
        "node",
        str(SCENARIOS / f"{name}.mjs"),
        json.dumps(config),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    stderr = asyncio.create_task(process.stderr.read())

    async def lines() -> list[str]:
        seen = []
        while line := (await process.stdout.readline()).decode():
            seen.append(line)
            if line.startswith("STEP ") and on_step is not None:
                await on_step(line.removeprefix("STEP ").strip())
                process.stdin.write(b"done\n")
                await process.stdin.drain()
        return seen

    try:
        out = "".join(await asyncio.wait_for(lines(), timeout))
        await process.wait()
    except TimeoutError:
        process.kill()
        await process.wait()
        raise ScenarioFailed(f"{name}.mjs ran past {timeout} s") from None
    err = (await stderr).decode()
    try:
        report = json.loads(out.strip().splitlines()[-1])
    except (IndexError, ValueError):
        raise ScenarioFailed(f"{name}.mjs reported nothing:\n{out}\n{err}") from None
    if not report["ok"]:
        raise ScenarioFailed(
            f"{name}.mjs failed: {report['error']}\nfacts: {report['facts']}\n"
            f"log:\n{out[-6000:]}\n{err[-3000:]}"
        )
    return report["facts"]
