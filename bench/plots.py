"""Figures of a bench run (matplotlib, PNG beside the run's text output).

    python -m bench.plots bench/results/<run>.json [...]   # draw again from kept runs

Per scenario, the latency distribution of each configuration the run measured (one
line per configuration: the share of samples at or under each latency, log scale);
and one figure of cost against load: daphne CPU per message at each C2C scenario's
achieved rate (c2c-latency is one message in flight, c2c-throughput the offered load,
the scale mode's points each process count), so a cost that grows with load shows as
a rising line; and for a scale-mode run (``--config scale``) the cost per C2C message
and per group delivery against the number of daphne processes. ``python -m bench``
calls ``draw`` after every run.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only: no display on a server
import matplotlib.pyplot as plt  # after choosing the backend

# Scenarios whose cpu/op is per message sent: the cost-against-load figure's points.
MESSAGE_SCENARIOS = ("c2c-latency", "c2c-throughput")


def result_dicts(results: list[Any]) -> list[dict[str, Any]]:
    """What the figures need of each ``harness.Result`` (also what the .json keeps)."""
    return [
        {
            "scenario": r.scenario,
            "config": r.config,
            "samples_ms": r.samples_ms,
            "rate": r.rate,
            "rate_unit": r.rate_unit,
            "cpu_ms_per_msg": r.cpu_ms_per_msg,
            "extra": r.extra,
        }
        for r in results
    ]


def draw(results: list[dict[str, Any]], stem: Path) -> list[Path]:
    """Write ``<stem>-<scenario>.png`` for each scenario with samples and
    ``<stem>-cost.png``; the paths written."""
    written = []
    by_scenario: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in results:
        if r["samples_ms"]:
            by_scenario[r["scenario"]].append(r)
    for scenario, runs in by_scenario.items():
        fig, ax = plt.subplots(figsize=(6.4, 4))
        for r in runs:
            samples = sorted(r["samples_ms"])
            shares = [(i + 1) / len(samples) for i in range(len(samples))]
            ax.step(samples, shares, where="post", label=_label(r))
        ax.set_xscale("log")
        ax.set_xlabel("latency (ms, log scale)")
        ax.set_ylabel("share of samples at or under")
        ax.set_ylim(0, 1.01)
        ax.grid(True, which="both", alpha=0.3)
        ax.set_title(f"{scenario}: latency distribution")
        ax.legend(fontsize="small")
        written.append(_save(fig, stem, scenario))
    points: dict[str, list[tuple[float, float, str]]] = defaultdict(list)
    for r in results:
        if r["scenario"] in MESSAGE_SCENARIOS and r["cpu_ms_per_msg"] is not None:
            points[r["config"]].append((r["rate"], r["cpu_ms_per_msg"], r["scenario"]))
    if points:
        fig, ax = plt.subplots(figsize=(6.4, 4))
        for config, values in sorted(points.items()):
            values.sort()
            ax.plot([v[0] for v in values], [v[1] for v in values], marker="o", label=config)
            for rate, cpu, scenario in values:
                ax.annotate(scenario, (rate, cpu), fontsize="x-small", xytext=(3, 3),
                            textcoords="offset points")  # fmt: skip
        ax.set_xlabel("messages acknowledged per second (load)")
        ax.set_ylabel("daphne CPU per message (ms)")
        ax.set_ylim(bottom=0)
        ax.grid(True, alpha=0.3)
        ax.set_title("C2C: cost per message against load")
        ax.legend(fontsize="small")
        written.append(_save(fig, stem, "cost"))
    scale = _scale_points(results)
    if scale:
        fig, axes = plt.subplots(1, len(scale), figsize=(4 * len(scale), 3.6), squeeze=False)
        for ax, (what, values) in zip(axes[0], sorted(scale.items()), strict=True):
            values.sort()
            ax.plot([v[0] for v in values], [v[1] for v in values], marker="o")
            ax.set_xticks([v[0] for v in values])
            ax.set_xlabel("daphne processes")
            ax.set_ylabel(what)
            ax.set_ylim(bottom=0)
            ax.grid(True, alpha=0.3)
        fig.suptitle("scale mode: cost against processes (one PostgreSQL, one Redis)")
        written.append(_save(fig, stem, "processes"))
    return written


def _scale_points(results: list[dict[str, Any]]) -> dict[str, list[tuple[int, float]]]:
    """The scale mode's costs by process count: CPU per C2C message (c2c-throughput)
    and per group delivery (group-fanout: per message ÷ members)."""
    points: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for r in results:
        if not r["config"].startswith("scale-") or r["cpu_ms_per_msg"] is None:
            continue
        processes = int(r["config"].removeprefix("scale-"))
        if r["scenario"] == "c2c-throughput":
            points["CPU per C2C message (ms)"].append((processes, r["cpu_ms_per_msg"]))
        elif r["scenario"] == "group-fanout" and r["extra"].get("members"):
            per_delivery = r["cpu_ms_per_msg"] * 1000 / int(r["extra"]["members"])
            points["CPU per group delivery (µs)"].append((processes, per_delivery))
    return points


def _label(r: dict[str, Any]) -> str:
    samples = sorted(r["samples_ms"])
    median = samples[len(samples) // 2]
    cpu = "" if r["cpu_ms_per_msg"] is None else f", {r['cpu_ms_per_msg']:.2f} ms CPU/op"
    return f"{r['config']} (n={len(samples)}, median {median:.1f} ms{cpu})"


def _save(fig: Any, stem: Path, name: str) -> Path:
    path = stem.with_name(f"{stem.name}-{name}.png")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def main(argv: list[str]) -> int:
    for name in argv:
        source = Path(name)
        for path in draw(json.loads(source.read_text()), source.with_suffix("")):
            print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
