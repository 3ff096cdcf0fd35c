"""``--profile``: sample the daphne processes with py-spy while a scenario runs, then rank
where their time went. py-spy is a profiling aid only: install it into the venv by hand
(``.venv/bin/pip install py-spy``); it is not a requirement of Hutong.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path


def py_spy() -> str | None:
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


class Sampler:
    """Records collapsed stacks of the server processes (100 Hz, without pausing them,
    GIL holder only) over each measured span; ``harness.Meter`` starts and stops it."""

    def __init__(self, out_dir: Path) -> None:
        exe = py_spy()
        if exe is None:
            raise RuntimeError("--profile needs py-spy: .venv/bin/pip install py-spy")
        self.exe = exe
        self.out_dir = out_dir
        self.label = "run"
        self.paths: list[Path] = []
        self._recorders: list[subprocess.Popen[bytes]] = []

    def start(self, pids: list[int]) -> None:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.paths = [self.out_dir / f"{self.label}-{pid}.collapsed" for pid in pids]
        self._recorders = [
            subprocess.Popen(
                [
                    *(self.exe, "record", "--pid", str(pid), "--rate", "100", "--nonblocking"),
                    # Only the thread holding the GIL: where the process's Python CPU goes.
                    "--gil",
                    *("--format", "raw", "--output", str(path)),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for pid, path in zip(pids, self.paths, strict=True)
        ]

    def stop(self) -> None:
        for recorder in self._recorders:
            recorder.send_signal(signal.SIGINT)  # py-spy writes its file on Ctrl-C
        for recorder in self._recorders:
            try:
                recorder.wait(30)
            except subprocess.TimeoutExpired:
                recorder.kill()
                recorder.wait()
        self._recorders = []


def _frame_name(frame: str) -> str:
    """``func (path/to/module.py:12)`` -> ``func (module.py)``: group a function's lines."""
    name, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    parts = path.split("/")
    if "site-packages" in parts:
        parts = parts[parts.index("site-packages") + 1 :]
    elif "main" in parts:
        parts = parts[parts.index("main") + 1 :]
    else:
        parts = parts[-2:]
    return f"{name} ({'/'.join(parts)})"


# Frames every busy stack passes through; they say nothing about where time goes.
_PLUMBING = ("threading.py", "<frozen runpy>", "futures/thread.py", "daphne/cli.py",
             "daphne/__main__.py", "daphne/server.py", "asyncioreactor.py", "asgiref/sync.py",
             "asyncio/base_events.py", "channels/db.py", "asyncio/events.py")  # fmt: skip


def summarize(paths: list[Path], top: int = 15) -> str:
    """Rank functions by samples spent inside them (self) and under them (inclusive)."""
    own: Counter[str] = Counter()
    under: Counter[str] = Counter()
    total = 0
    in_worker = 0
    for path in paths:
        if not path.exists():
            continue
        for line in path.read_text(errors="replace").splitlines():
            stack, _, count_text = line.rpartition(" ")
            if not stack or not count_text.isdigit():
                continue
            count = int(count_text)
            frames = [_frame_name(f) for f in stack.split(";")]
            total += count
            # database_sync_to_async runs the ops (ORM, services) in executor threads.
            if "futures/thread.py" in stack:
                in_worker += count
            own[frames[-1]] += count
            for name in set(frames):
                under[name] += count
    if not total:
        return "  (no samples)"
    lines = [
        f"  {total} samples (100/s, GIL holder only); in sync worker threads (ops, ORM): "
        f"{in_worker * 100 / total:.0f}%, on the event loop (daphne, channels, layer): "
        f"{(total - in_worker) * 100 / total:.0f}%",
        "  self:",
    ]
    lines += [f"    {n * 100 / total:5.1f}%  {name}" for name, n in own.most_common(top)]
    lines.append("  inclusive (without event-loop and thread plumbing):")
    ranked = [(k, n) for k, n in under.most_common() if not any(p in k for p in _PLUMBING)]
    lines += [f"    {n * 100 / total:5.1f}%  {name}" for name, n in ranked[: top * 2]]
    return "\n".join(lines)
