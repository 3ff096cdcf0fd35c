"""axe-core in the Playwright tests: the page's accessibility problems axe finds.

npm's axe-core (package.json, installed by ``make``) runs inside the page under test. It goes
in through Playwright's evaluate rather than a <script> tag: the site's Content-Security-Policy
refuses inline scripts, and evaluate is not subject to it.

    assert_accessible(page)                       # the whole page
    assert_accessible(page, include=["[data-testid=emoji-picker]"])  # a part of it
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page

AXE_JS = Path(__file__).resolve().parent.parent / "node_modules/axe-core/axe.min.js"
# What the tests refuse: axe's two highest impacts (the others are "moderate" and "minor").
BLOCKING_IMPACTS = ("serious", "critical")

_RUN_JS = """async ({include, exclude, disable}) => {
  const context = include.length || exclude.length
    ? {include: include.length ? include : [document], exclude}
    : document;
  const rules = Object.fromEntries(disable.map((id) => [id, {enabled: false}]));
  const result = await window.axe.run(context, {rules, resultTypes: ['violations']});
  return result.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.map((n) => ({target: n.target.join(' '), summary: n.failureSummary})),
  }));
}"""


def _inject(page: Page) -> None:
    if page.evaluate("typeof window.axe === 'object'"):
        return
    if not AXE_JS.exists():
        raise AssertionError(f"{AXE_JS} is missing: run `make sdk` (npm install) first")
    page.evaluate(AXE_JS.read_text(encoding="utf-8"))


def axe_violations(
    page: Page,
    *,
    include: list[str] | None = None,
    exclude: list[str] | None = None,
    disable: list[str] | None = None,
    impacts: tuple[str, ...] = BLOCKING_IMPACTS,
) -> list[dict]:
    """The violations axe finds on the page as it is now (or in the parts ``include`` names,
    without those ``exclude`` names, CSS selectors), of the given impacts; ``disable`` turns
    rules off by id. Each is {id, impact, help, nodes: [{target, summary}]}."""
    _inject(page)
    found = page.evaluate(
        _RUN_JS, {"include": include or [], "exclude": exclude or [], "disable": disable or []}
    )
    return [v for v in found if v["impact"] in impacts]


def describe(violations: list[dict]) -> str:
    """One line per violation and per element, for an assertion's message."""
    lines = []
    for v in violations:
        lines.append(f"{v['impact']}: {v['id']} ({v['help']})")
        lines.extend(f"    {n['target']}: {n['summary']}" for n in v["nodes"])
    return "\n".join(lines)


def assert_accessible(page: Page, **options) -> None:
    """No serious or critical violation on the page (``options`` as for axe_violations)."""
    violations = axe_violations(page, **options)
    assert not violations, "axe-core found:\n" + describe(violations)
