"""Production settings: `check --deploy` clean with the README's environment, and a
Content-Security-Policy on every page that the chat page and the admin work under."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Browser, expect

from tests.browser import PASSWORD, TIMEOUT_MS
from tests.live import LiveServer

ROOT = Path(__file__).resolve().parent.parent


def readme_production_environment() -> dict[str, str]:
    text = (ROOT / "README.md").read_text()
    block = re.search(
        r"<!-- production-environment -->\s*```sh\n(.*?)```\s*<!-- /production-environment -->",
        text,
        re.S,
    )
    assert block, "README.md has no production-environment block"
    pairs = [line.split("=", 1) for line in block.group(1).splitlines() if "=" in line]
    return {key.strip(): value.strip() for key, value in pairs}


@pytest.mark.once
def test_check_deploy_is_clean_with_the_readmes_production_environment(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "HUTONG_"))},
        **readme_production_environment(),
        "HUTONG_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "chatsite.settings",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/", "/"])
def test_every_page_carries_the_policy(client, path):
    response = client.get(path, follow=True)
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "object-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy and "'unsafe-eval'" not in policy


@pytest.fixture
def alice_and_root(transactional_db) -> None:
    """Made before Playwright starts its event loop, where the ORM may not run."""
    User.objects.create_user("alice", password=PASSWORD)
    User.objects.create_superuser("root", "root@example.com", PASSWORD)


def test_the_chat_page_and_the_admin_work_under_the_policy(
    alice_and_root, live: LiveServer, browser: Browser
):
    context = browser.new_context(locale="en-US")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security" in m.text else 0)

    page.goto(f"{live.url}/accounts/login/?next=/")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", PASSWORD)
    page.click("[data-testid=login-submit]")
    expect(page.locator("[data-testid=chat]")).to_have_attribute("data-state", "ready")
    page.fill("[data-testid=peer-input]", "root")
    page.click("[data-testid=start-chat]")
    page.fill("[data-testid=message-input]", "hello under a policy")
    page.click("[data-testid=send]")
    expect(page.locator("[data-testid=message]").last).to_contain_text("hello under a policy")

    admin = context.new_page()
    admin.on("console", lambda m: violations.append(m.text) if "Content Security" in m.text else 0)
    admin.goto(f"{live.url}/admin/login/")
    admin.fill("input[name=username]", "root")
    admin.fill("input[name=password]", PASSWORD)
    admin.click("input[type=submit]")
    admin.goto(f"{live.url}/admin/im/app/")
    admin.click("text=Add app")
    expect(admin.locator("input[name=sdkappid]")).to_be_visible()
    admin.goto(f"{live.url}/admin/auth/user/add/")
    expect(admin.locator("input[name=username]")).to_be_visible()
    assert violations == []
    context.close()
