"""A group through Tencent's unmodified tim-js-sdk in headless Chromium (its Worker
socket), from a customer's page on another origin (tests/test_browser_timsdk.py's site):
create, join and the join tip, messages both ways, the member list."""

from __future__ import annotations

import pytest

from tests.test_browser_timsdk import sites, tim_page, until  # noqa: F401 (sites: a fixture)

pytestmark = pytest.mark.django_db(transaction=True)

WATCH = """() => {
  window.groupMessages = [];
  tim.on(TIM.EVENT.MESSAGE_RECEIVED, (event) => {
    for (const m of event.data) {
      if (m.conversationType !== TIM.TYPES.CONV_GROUP) continue;
      window.groupMessages.push({
        type: m.type, from: m.from, to: m.to, text: m.payload.text ?? null,
        operationType: m.payload.operationType ?? null, userIDList: m.payload.userIDList ?? null,
      });
    }
  });
}"""

SAY = """async ({ groupID, text }) => {
  const message = tim.createTextMessage({
    to: groupID, conversationType: TIM.TYPES.CONV_GROUP, payload: { text },
  });
  const result = await tim.sendMessage(message);
  return { code: result.code, ID: result.data.message.ID };
}"""


@pytest.mark.once  # the server side is the Node and frame tests', in both passes
def test_a_group_from_the_sdk_in_a_browser_worker(sites, cast, browser):  # noqa: F811
    hutong, site = sites
    alice, console = tim_page(browser, hutong, site, "alice")
    bob, _ = tim_page(browser, hutong, site, "bob")
    assert any("isWorkerEnabled:true" in line for line in console), console[:20]
    for page in (alice, bob):
        page.evaluate(WATCH)

    created = alice.evaluate(
        """async () => {
          const result = await tim.createGroup({
            type: TIM.TYPES.GRP_PUBLIC, name: 'On the web', groupID: 'web-group',
          });
          return { code: result.code, role: result.data.group.selfInfo.role };
        }"""
    )
    assert created == {"code": 0, "role": "Owner"}
    joined = bob.evaluate(
        "tim.joinGroup({ groupID: 'web-group' }).then((r) => [r.code, r.data.status])"
    )
    assert joined == [0, "JoinedSuccess"]
    until(alice, "window.groupMessages.some((m) => m.type === 'TIMGroupTipElem')")
    (tip,) = alice.evaluate("window.groupMessages")
    assert tip == {
        "type": "TIMGroupTipElem",
        "from": "bob",
        "to": "web-group",
        "text": None,
        "operationType": 1,
        "userIDList": ["bob"],
    }

    sent = bob.evaluate(SAY, {"groupID": "web-group", "text": "hello, web"})
    assert sent["code"] == 0
    until(alice, "window.received.some((m) => m.text === 'hello, web')")
    assert alice.evaluate("window.received.find((m) => m.text === 'hello, web').ID") == (sent["ID"])
    assert alice.evaluate(SAY, {"groupID": "web-group", "text": "and back"})["code"] == 0
    until(bob, "window.groupMessages.some((m) => m.text === 'and back')")
    assert bob.evaluate("window.groupMessages.find((m) => m.text === 'and back').from") == "alice"

    members = alice.evaluate(
        """async () => {
          const result = await tim.getGroupMemberList({ groupID: 'web-group', count: 10 });
          return result.data.memberList.map((m) => [m.userID, m.role, m.nick]);
        }"""
    )
    assert members == [["alice", "Owner", "Alice"], ["bob", "Member", "Bob"]]
