"""``python -m bench``: start a configuration, run the scenarios, print a table, keep the output.

    python -m bench [--config embedded|deployed|both] [--scenario NAME ...] [--quick]
    python -m bench --url ws://127.0.0.1:8000/ws/im/ --sdkappid N --secret-key K [--pid PID]

Raw output goes to bench/results/<timestamp>-<config>.txt.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import shlex
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from bench import harness, plots
from bench.client import check_loopback
from bench.harness import FULL, QUICK, Result, Sizes
from bench.proc import machine, raise_open_files_limit
from bench.profile import Sampler, summarize
from bench.scenarios import SCENARIOS
from bench.servers import CONFIGS, SCALE_PROCESSES, SubprocessSeeder, Target

RESULTS_DIR = Path(__file__).resolve().parent / "results"
# connections runs first, on fresh processes, so no memory freed by an earlier
# scenario is reused and hides part of its cost.
RUN_ORDER = [
    "connections",
    "c2c-latency",
    "c2c-throughput",
    "group-fanout",
    "group-churn",
    "history",
    "uploads",
]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--config",
        choices=["embedded", "deployed", "both", "scale", *(f"scale-{n}" for n in SCALE_PROCESSES)],
        default="both",
        help="both: embedded then deployed; scale: deployed with 1, 2 and 4 daphne processes",
    )
    parser.add_argument("--scenario", action="append", choices=list(SCENARIOS), dest="scenarios")
    parser.add_argument("--quick", action="store_true", help="small sizes; well under a minute")
    parser.add_argument(
        "--rate", type=float, help="c2c-throughput offered msg/s (0: closed loop; default 1000)"
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="SIZE=VALUE",
        help="override one size, e.g. --set connections=2000 (see bench/harness.py Sizes)",
    )
    parser.add_argument("--url", action="append", help="a running server's ws URL (loopback)")
    parser.add_argument("--sdkappid", type=int)
    parser.add_argument("--secret-key")
    parser.add_argument("--pid", type=int, action="append", help="server pid, for CPU and RSS")
    parser.add_argument(
        "--profile", action="store_true", help="sample the servers with py-spy; rank hot spots"
    )
    return parser.parse_args(argv)


class Output:
    """Prints as it goes and keeps every line for the results file."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def __call__(self, text: str = "") -> None:
        print(text, flush=True)
        self.lines.append(text)


def table(results: list[Result]) -> str:
    header = (
        "config", "scenario", "n", "median", "p95", "p99", "max", "rate", "cpu/op", "targets"
    )  # fmt: skip
    rows = [header]
    for r in results:
        cpu = "-" if r.cpu_ms_per_msg is None else f"{r.cpu_ms_per_msg:.2f} ms"
        targets = ", ".join(f"{t} {'ok' if ok else 'MISSED'}" for t, ok in r.targets) or "-"
        if r.problems:
            targets = "INCOMPLETE; " + targets
        rows.append(
            (
                r.config,
                r.scenario,
                str(r.n),
                f"{r.median:.2f} ms",
                f"{r.pct(95):.2f} ms",
                f"{r.pct(99):.2f} ms",
                f"{r.max:.2f} ms",
                f"{r.rate:,.0f} {r.rate_unit}",
                cpu,
                targets,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


async def run_scenarios(
    target: Target,
    names: list[str],
    sizes: Sizes,
    check: bool,
    out: Callable[[str], None],
    sampler: Sampler | None = None,
) -> list[Result]:
    results = []
    for name in names:
        started = time.monotonic()
        if sampler is not None:
            sampler.label, sampler.paths = f"{target.config}-{name}", []
        try:
            waited = await harness.settle(target)
            if waited > 5:
                out(f"# waited {waited:.0f}s for the servers to go idle before {name}")
            result = await SCENARIOS[name](target, sizes, check)
        except Exception as error:
            out(f"{name:<14} {target.config:<8} | FAILED: {error!r}")
            out(traceback.format_exc().rstrip())
            out(server_errors(target))
            continue
        out(f"{result.line()} | took {time.monotonic() - started:.0f}s")
        results.append(result)
        if result.problems:
            out(server_errors(target))
        if sampler is not None:
            out(f"profile of {target.config} {name} (daphne, measured span only):")
            out(summarize(sampler.paths))
    return results


def server_errors(target: Target, limit: int = 4000) -> str:
    """The servers' logged errors (tracebacks), for a scenario that failed or lost something."""
    found = []
    for log in target.logs:
        if not log.exists():
            continue
        text = log.read_text(errors="replace")
        lines = [ln for ln in text.splitlines() if "WSCONNECT" not in ln and "WSDISCONN" not in ln]
        errors = "\n".join(lines)
        at = errors.find("Traceback")
        if at >= 0:
            found.append(f"--- {log.name}: first traceback ---\n{errors[at : at + limit]}")
        elif errors.strip():
            found.append(f"--- {log.name}: last lines ---\n{errors[-limit:]}")
    return "\n".join(found) or "(no server errors logged)"


def git_revision() -> str:
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            cwd=RESULTS_DIR.parent.parent,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "im", "chatsite"],
            capture_output=True,
            text=True,
            timeout=10,
            cwd=RESULTS_DIR.parent.parent,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{rev}{' +uncommitted server changes' if dirty else ''}"


def _terminated(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = QUICK if args.quick else FULL
    if args.rate is not None:
        sizes = dataclasses.replace(sizes, throughput_rate=args.rate)
    for item in args.set:
        key, _, value = item.partition("=")
        kind = type(getattr(FULL, key, None))
        if key not in {f.name for f in dataclasses.fields(Sizes)}:
            print(f"--set: no size named {key!r}", file=sys.stderr)
            return 2
        sizes = dataclasses.replace(sizes, **{key: kind(value)})
    wanted = args.scenarios or list(SCENARIOS)
    names = [n for n in RUN_ORDER if n in wanted]
    check = sizes == FULL
    stamp = time.strftime("%Y%m%d-%H%M%S")
    sampler = Sampler(RESULTS_DIR / f"{stamp}-profiles") if args.profile else None
    harness.SAMPLER = sampler
    # A SIGTERM (a make or CI stop) unwinds like Ctrl-C, so servers, the bench database,
    # Redis keys and temporary files are cleaned up and the partial output is kept.
    signal.signal(signal.SIGTERM, _terminated)
    open_files = raise_open_files_limit()
    out = Output()
    out(f"# python -m bench {shlex.join(sys.argv[1:] if argv is None else argv)}")
    out(f"# {time.strftime('%Y-%m-%d %H:%M:%S %Z')}, {machine()}, open files {open_files}")
    out(f"# server revision {git_revision()}; sizes {dataclasses.asdict(sizes)}")
    if override := os.environ.get("BENCH_DJANGO_SETTINGS"):
        out(f"# servers run with BENCH_DJANGO_SETTINGS={override} (a what-if, not chatsite)")
    out("# times in ms; cpu/op = daphne CPU per message sent (history: per page; "
        "connections: per login; uploads: per MiB, times per PUT)")  # fmt: skip
    results: list[Result] = []
    label = "url" if args.url else args.config
    try:
        return _run(args, names, sizes, check, sampler, out, results)
    finally:
        out()
        out(table(results))
        RESULTS_DIR.mkdir(exist_ok=True)
        path = RESULTS_DIR / f"{stamp}-{label}{'-quick' if args.quick else ''}.txt"
        path.write_text("\n".join(out.lines) + "\n")
        print(f"\nraw output: {path}")
        if results:
            # The samples too, so the figures can be drawn again (python -m bench.plots).
            kept = path.with_suffix(".json")
            kept.write_text(json.dumps(plots.result_dicts(results)))
            for figure in plots.draw(plots.result_dicts(results), path.with_suffix("")):
                print(f"figure: {figure}")


def _run(
    args: argparse.Namespace,
    names: list[str],
    sizes: Sizes,
    check: bool,
    sampler: Sampler | None,
    out: Output,
    results: list[Result],
) -> int:
    if args.url:
        for url in args.url:
            check_loopback(url)
        if args.sdkappid is None or not args.secret_key:
            print("--url needs --sdkappid and --secret-key", file=sys.stderr)
            return 2
        target = Target(
            config="url",
            urls=args.url,
            sdkappid=args.sdkappid,
            secret_key=args.secret_key,
            pids=args.pid or [],
            # Seeds through the current environment's DATABASE_URL (the server's).
            seeder=SubprocessSeeder(dict(os.environ), args.sdkappid),
        )
        results += asyncio.run(run_scenarios(target, names, sizes, check, out, sampler))
    else:
        configs = {
            "both": ["embedded", "deployed"],
            "scale": [f"scale-{n}" for n in SCALE_PROCESSES],
        }.get(args.config, [args.config])
        for config in configs:
            # The server may change between configurations of one run: say which one ran.
            out(f"## {config} (server revision {git_revision()})")
            try:
                with CONFIGS[config]() as target:
                    results += asyncio.run(run_scenarios(target, names, sizes, check, out, sampler))
            except Exception as error:
                out(f"## {config} could not start: {error!r}")
    expected = len(names) * (1 if args.url else len(configs))
    return 0 if len(results) == expected and all(r.complete for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
