"""The emoji picker, in real headless Chromium (issue 15): an ARIA grid in categories,
the arrow keys move through it, Enter inserts, Escape closes back to the composer,
Tab leaves, and what was used comes first next time (after a reload too)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from tests.browser import PASSWORD
from tests.test_browser_composer import signed_in
from tests.test_browser_messaging import bubbles, reload, start_chat

LABELS = {
    "en": {"recent": "Recently used", "smileys": "Smileys", "gestures": "Gestures"},
    "zh": {"recent": "最近使用", "smileys": "表情", "gestures": "手势"},
}


@pytest.fixture
def site_users(transactional_db) -> dict[str, User]:
    return {name: User.objects.create_user(name, password=PASSWORD) for name in ("alice", "bob")}


def focused_token(page: Page) -> str | None:
    return page.evaluate("() => document.activeElement?.dataset.token ?? null")


def category(page: Page, name: str):
    return page.locator(f"[data-testid=emoji-category-{name}]")


@pytest.mark.once  # the page alone: the same on every configuration
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_emoji_picker_by_keyboard_with_recent_faces_first(site_users, live, browser, language):
    alice = signed_in(browser, live, "alice", language)
    start_chat(alice, "bob")
    box = alice.locator("[data-testid=message-input]")
    button = alice.locator("[data-testid=emoji-button]")
    grid = alice.locator("[data-testid=emoji-picker]")
    labels = LABELS[language]

    button.click()
    expect(grid).to_be_visible()
    expect(grid).to_have_attribute("role", "grid")
    expect(button).to_have_attribute("aria-expanded", "true")
    # Nothing used yet: no recent row; the categories are named groups of rows of cells.
    expect(category(alice, "recent")).to_have_count(0)
    expect(alice.get_by_role("rowgroup", name=labels["smileys"])).to_be_visible()
    expect(alice.get_by_role("rowgroup", name=labels["gestures"])).to_be_visible()
    first = category(alice, "smileys").get_by_role("gridcell").first
    expect(first).to_be_focused()
    expect(first).to_have_attribute("aria-label", "微笑")
    # One cell in the tab order at a time.
    assert grid.locator('[role=gridcell][tabindex="0"]').count() == 1

    alice.keyboard.press("ArrowRight")
    assert focused_token(alice) == "[呲牙]"
    alice.keyboard.press("ArrowDown")  # eight to a row: the same column, one row down
    assert focused_token(alice) == "[调皮]"
    alice.keyboard.press("ArrowLeft")
    assert focused_token(alice) == "[得意]"
    assert grid.locator('[role=gridcell][tabindex="0"]').count() == 1
    alice.keyboard.press("Enter")
    expect(grid).to_be_hidden()
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(box).to_be_focused()
    expect(box).to_have_value("[得意]")

    # Next time the face used leads, in its own named row, and has the focus.
    button.click()
    recent = alice.get_by_role("rowgroup", name=labels["recent"])
    expect(recent).to_be_visible()
    expect(recent.get_by_role("gridcell")).to_have_count(1)
    assert focused_token(alice) == "[得意]"
    alice.keyboard.press("ArrowDown")  # from the recent row into the first category
    assert focused_token(alice) == "[微笑]"
    alice.keyboard.press("Escape")
    expect(grid).to_be_hidden()
    expect(box).to_be_focused()

    # Tab leaves the grid (and closes it) rather than walking every face.
    button.click()
    expect(recent.get_by_role("gridcell").first).to_be_focused()
    alice.keyboard.press("Tab")
    expect(grid).to_be_hidden()
    assert grid.evaluate("(grid) => !grid.contains(document.activeElement)")

    # A click inserts too, at the caret, and the message goes with the token.
    box.fill("ab")
    box.evaluate("el => el.setSelectionRange(1, 1)")
    button.click()
    grid.locator('[data-token="[强]"]').click()
    expect(box).to_have_value("a[强]b")
    alice.click("[data-testid=send]")
    expect(bubbles(alice).last).to_have_text("a👍b")

    # The recent row is remembered by this browser, newest first.
    reload(alice)
    start_chat(alice, "bob")
    button.click()
    tokens = recent.get_by_role("gridcell").evaluate_all(
        "cells => cells.map((c) => c.dataset.token)"
    )
    assert tokens == ["[强]", "[得意]"]

    # On a phone the grid stays on the screen, above the composer.
    alice.keyboard.press("Escape")
    alice.set_viewport_size({"width": 390, "height": 844})
    button.click()
    shown = grid.bounding_box()
    assert shown["x"] >= 0 and shown["x"] + shown["width"] <= 390
    assert shown["y"] >= 0 and shown["y"] + shown["height"] <= box.bounding_box()["y"]
    expect(recent.get_by_role("gridcell").first).to_be_focused()
