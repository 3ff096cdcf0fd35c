"""The chat pages and tim.js in a real headless Chromium against a real daphne.

Playwright's sync API keeps an event loop running in this thread, and Django
refuses ORM calls while one runs; so every test does its ORM work before the
browser starts, and the database is flushed after the browser has stopped.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from im.usersig import gen_usersig
from tests.browser import PASSWORD
from tests.test_browser_messaging import sign_in

# The TIM surface beside the repository (shared/ sits next to the checkout).
CONSTANTS = Path(__file__).resolve().parents[2] / "shared" / "tim-api" / "constants.json"


@pytest.fixture
def site_users(transactional_db) -> dict[str, User]:
    return {name: User.objects.create_user(name, password=PASSWORD) for name in ("alice", "bob")}


# --- pages through the Django test client ---


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("accept_language", "lang", "heading"),
    [("zh-CN,zh;q=0.9", "zh-hans", "登录"), ("en-US,en;q=0.9", "en", "Sign in")],
)
def test_login_page_speaks_the_browser_language(accept_language, lang, heading):
    response = Client(headers={"accept-language": accept_language}).get(reverse("login"))

    assert response.status_code == 200
    html = response.content.decode()
    assert f'<html lang="{lang}">' in html
    assert f"<h1>{heading}</h1>" in html
    assert 'name="csrfmiddlewaretoken"' in html


@pytest.mark.parametrize(("accept_language", "chinese"), [("zh-CN", True), ("en-US", False)])
def test_js_catalog_speaks_the_browser_language(accept_language, chinese):
    response = Client(headers={"accept-language": accept_language}).get(
        reverse("javascript-catalog")
    )

    assert response.status_code == 200
    # The catalog is JavaScript holding ASCII-escaped JSON strings.
    assert (json.dumps("正在连接…") in response.content.decode()) is chinese


@pytest.mark.django_db
def test_chat_sends_anonymous_users_to_login():
    response = Client().get(reverse("chat"))

    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next=/"


@pytest.mark.django_db
def test_login_with_a_wrong_password_shows_the_form_error(site_users):
    response = Client(headers={"accept-language": "en"}).post(
        reverse("login"), {"username": "alice", "password": "not it"}
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="login-error"' in html
    assert "Please enter a correct username and password." in html
    assert "_auth_user_id" not in Client().session


# --- the SDK in the browser ---


SDK_ERRORS_JS = """
async ({SDKAppID, goodSig}) => {
  const {default: TIM} = await import('/static/im/tim.js');
  const failure = async (promise) => {
    try { await promise; return {resolved: true}; }
    catch (e) {
      return {code: e.code, message: e.message, isError: e instanceof Error, data: e.data};
    }
  };
  const thrown = (f) => {
    try { f(); return null; } catch (e) { return {code: e.code, message: e.message}; }
  };
  const events = [];
  const tim = TIM.create({SDKAppID});
  for (const name of Object.values(TIM.EVENT)) tim.on(name, (e) => events.push(e.name));
  const r = {
    types: TIM.TYPES,
    event: TIM.EVENT,
    sameInstance: TIM.create({SDKAppID: String(SDKAppID)}) === tim,
    nonNumeric: TIM.create({SDKAppID: 'abc'}),
    sendBeforeLogin: await failure(tim.sendMessage({})),
    createBeforeLogin: await failure(
      tim.createTextMessage({to: 'bob', conversationType: 'C2C', payload: {text: 'x'}})),
    loginBadType: thrown(() => tim.login({userID: 42, userSig: 'x'})),
    loginBadSig: await failure(tim.login({userID: 'alice', userSig: 'not a sig'})),
  };
  const ready = new Promise((resolve) => tim.on(TIM.EVENT.SDK_READY, resolve));
  r.login = (await tim.login({userID: 'alice', userSig: goodSig})).data;
  await ready;
  r.repeatLogin = (await tim.login({userID: 'alice', userSig: goodSig})).data;
  r.badConversation = thrown(() => tim.createTextMessage(
    {to: 'bob', conversationType: 'NOPE', payload: {text: 'x'}}));
  r.emptyTo = thrown(() => tim.createTextMessage(
    {to: '', conversationType: 'C2C', payload: {text: 'x'}}));
  const message = tim.createTextMessage(
    {to: 'nobody', conversationType: TIM.TYPES.CONV_C2C, payload: {text: 'hi'}});
  r.created = JSON.parse(JSON.stringify(message));
  const unknownReceiver = await failure(tim.sendMessage(message));
  r.unknownReceiver = {...unknownReceiver, sameMessage: unknownReceiver.data.message === message};
  const toSelf = tim.createTextMessage(
    {to: 'alice', conversationType: 'C2C', payload: {text: 'note to self'}, priority: 1});
  const listed = new Promise((resolve) => tim.once(TIM.EVENT.CONVERSATION_LIST_UPDATED, resolve));
  const sent = await tim.sendMessage(toSelf);
  r.sent = {...JSON.parse(JSON.stringify(sent.data.message)), same: sent.data.message === toSelf};
  r.conversations = (await listed).data;
  r.logout = await tim.logout();
  r.sendAfterLogout = await failure(tim.sendMessage(toSelf));
  await tim.destroy();
  r.loginAfterDestroy = await failure(tim.login({userID: 'alice', userSig: goodSig}));
  r.newInstanceAfterDestroy = TIM.create({SDKAppID}) !== tim;
  r.events = events;
  return r;
}
"""


@pytest.mark.django_db(transaction=True)
def test_sdk_errors_and_constants(site_app, live, browser):
    app = site_app
    good_sig = gen_usersig(
        sdkappid=app.sdkappid, secret_key=app.secret_key, user_id="alice", expire=3600
    )
    # The compatibility target lives beside the repository, in the shared reference.
    constants = json.loads(CONSTANTS.read_text()) if CONSTANTS.exists() else None

    page = browser.new_page()
    page.goto(f"{live.url}/accounts/login/")
    r = page.evaluate(SDK_ERRORS_JS, {"SDKAppID": app.sdkappid, "goodSig": good_sig})

    if constants is not None:
        assert r["types"] == constants["TYPES"]
        assert r["event"] == constants["EVENT"]
    assert r["sameInstance"] is True
    assert r["nonNumeric"] is None
    assert r["sendBeforeLogin"]["code"] == 6014
    assert r["sendBeforeLogin"]["isError"] is True
    assert r["createBeforeLogin"]["code"] == 6014
    assert r["loginBadType"] == {"code": None, "message": "Params validate failed."}
    assert r["loginBadSig"]["code"] == 70003  # the server's code, passed through
    assert r["login"]["userID"] == "alice"
    assert r["login"]["actionStatus"] == "OK"
    assert r["repeatLogin"]["repeatLogin"] is True
    assert r["badConversation"]["code"] == 6004
    assert r["emptyTo"]["code"] == 6004

    created = r["created"]
    assert created["status"] == "unSend"
    assert created["flow"] == "out"
    assert created["from"] == "alice"
    assert created["conversationID"] == "C2Cnobody"
    assert created["payload"] == {"text": "hi"}
    assert 0 <= created["random"] <= 99_999_999
    assert created["ID"] == f"{r['login']['tinyID']}-{created['clientTime']}-{created['random']}"
    assert created["priority"] == "Normal"
    assert (created["isRevoked"], created["isRead"], created["protocol"]) == (False, True, "JSON")

    assert r["unknownReceiver"]["code"] == 20003
    assert r["unknownReceiver"]["sameMessage"] is True
    assert r["unknownReceiver"]["data"]["message"]["status"] == "fail"

    sent = r["sent"]
    assert sent["same"] is True
    assert sent["status"] == "success"
    assert sent["sequence"] == 1
    assert sent["priority"] == "High"
    assert sent["payload"] == {"text": "note to self"}

    [conversation] = r["conversations"]
    assert conversation["conversationID"] == "C2Calice"
    assert conversation["type"] == "C2C"
    assert conversation["unreadCount"] == 0
    assert conversation["userProfile"]["userID"] == "alice"
    assert conversation["lastMessage"]["messageForShow"] == "note to self"

    assert r["logout"] == {"code": 0, "data": {}}
    assert r["sendAfterLogout"]["code"] == 6014
    assert r["loginAfterDestroy"]["code"] == 6013
    assert r["newInstanceAfterDestroy"] is True

    events = r["events"]
    assert events.count("sdkStateReady") == 1
    assert events.index("sdkStateReady") < events.index("sdkStateNotReady")
    assert "onConversationListUpdated" in events
    assert {"netStateChange", "error", "sdkDestroy"} <= set(events)


# --- the chat between two people ---


@pytest.mark.django_db(transaction=True)
def test_alice_and_bob_chat_live_and_text_stays_text(site_users, live, browser):
    text = "你好 <script>window.__pwned=1</script> bob"

    bob = sign_in(browser, live, "bob")
    alice = sign_in(browser, live, "alice")

    alice.fill("[data-testid=peer-input]", "bob")
    alice.click("[data-testid=start-chat]")
    alice.fill("[data-testid=message-input]", text)
    alice.click("[data-testid=send]")

    mine = alice.locator("[data-testid=message][data-flow=out]")
    expect(mine).to_have_count(1)
    expect(mine.locator("xpath=..")).to_have_attribute("data-status", "success")

    # bob's page was open all along: the message arrives without a reload.
    conversation = bob.locator("[data-testid=conversation][data-conversation-id=C2Calice]")
    expect(conversation).to_be_visible()
    conversation.click()
    received = bob.locator("[data-testid=message][data-flow=in]")
    expect(received).to_have_count(1)
    assert received.evaluate("el => el.textContent") == text
    assert mine.evaluate("el => el.textContent") == text
    assert bob.locator("[data-testid=message] script").count() == 0

    bob.fill("[data-testid=message-input]", "hi alice")
    bob.keyboard.press("Enter")
    reply = alice.locator("[data-testid=message][data-flow=in]")
    expect(reply).to_have_text("hi alice")
    expect(alice.locator("[data-testid=conversation]")).to_have_count(1)

    for page in (alice, bob):
        assert page.evaluate("typeof window.__pwned") == "undefined"

    bob.click("[data-testid=logout]")
    bob.wait_for_url(f"{live.url}/accounts/login/")
