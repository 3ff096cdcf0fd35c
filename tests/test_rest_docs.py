"""docs/rest-api.md keeps up with the REST API: a section for every command, and
examples that are JSON."""

from __future__ import annotations

import json
import re

import pytest
from django.conf import settings

from im.rest import commands  # noqa: F401  (registers the commands)
from im.rest.api import COMMANDS

DOC = settings.BASE_DIR / "docs" / "rest-api.md"


def headings(text: str) -> set[tuple[str, str]]:
    found = re.findall(r"^### `([a-z0-9_]+)/([a-z0-9_]+)`$", text, flags=re.MULTILINE)
    return set(found)


@pytest.mark.once
def test_every_command_has_a_section():
    missing = sorted(set(COMMANDS) - headings(DOC.read_text()))
    assert not missing, f"docs/rest-api.md has no ### `service/command` for {missing}"


@pytest.mark.once
def test_every_json_example_parses():
    blocks = re.findall(r"^```json\n(.*?)^```$", DOC.read_text(), flags=re.MULTILINE | re.DOTALL)
    assert len(blocks) > 2 * len(COMMANDS)
    for block in blocks:
        json.loads(block)
