"""`make run` on a fresh clone sets itself up and serves the login page."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from bench.daphne import BASE_DIR, free_port

# `make run` clears the configuration and uses its own defaults: pass 1 only.
pytestmark = pytest.mark.once


def test_make_run_on_a_fresh_clone_serves_the_login_page(tmp_path: Path):
    clone = tmp_path / "hutong"
    subprocess.run(["git", "clone", "-q", str(BASE_DIR), str(clone)], check=True)
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "VIRTUAL_ENV"}
    }
    env["PATH"] = ":".join(p for p in env["PATH"].split(":") if ".venv" not in p)
    log = (tmp_path / "make-run.log").open("w")
    process = subprocess.Popen(
        ["make", "run", f"PORT={port}"],
        cwd=clone,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        body = ""
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/accounts/login/", timeout=2
                ) as response:
                    body = response.read().decode()
                    break
            except OSError:
                time.sleep(0.5)
        output = (tmp_path / "make-run.log").read_text()
        assert 'name="username"' in body, output[-3000:]
        assert 'name="password"' in body
        assert "Demo users alice, bob, carol" in output
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/im/tim.js") as response:
            assert b"export default" in response.read()
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(30)
