"""The fake Bot API server behaves like Telegram where our code depends on it."""

from __future__ import annotations

import asyncio
import threading
import time

import httpx
import pytest
from aiohttp import web
from telegram import (
    Bot,
    ChatMemberAdministrator,
    ChatMemberBanned,
    ChatMemberMember,
    ChatMemberOwner,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.request import HTTPXRequest

from tests.fakes import telegram as fake_module
from tests.fakes.telegram import SECRET_HEADER, FakeTelegram, RateLimits, html_to_text, utf16_len

fake_telegram = fake_module.fake_telegram  # the published fixture, as a conftest would import it

TOKEN = "4242:fake-token-for-the-fake-server"


@pytest.fixture
async def bot(fake_telegram: FakeTelegram):
    async with Bot(TOKEN, base_url=fake_telegram.base_url) as client:
        yield client


async def test_get_me_and_sync_fixture_usage(fake_telegram: FakeTelegram, bot: Bot):
    assert bot.username == fake_telegram.bot_username and bot.id == fake_telegram.bot_id
    assert fake_telegram.requests("getMe")[0].ok


def test_usable_from_sync_code(fake_telegram: FakeTelegram):
    response = httpx.post(f"{fake_telegram.base_url}{TOKEN}/sendMessage", json={"chat_id": 5, "text": "hi"})
    assert response.json()["result"]["message_id"] == 1
    assert fake_telegram.sent(5) == ["hi"]
    assert fake_telegram.wait_for_blocking(lambda: fake_telegram.sent(5), 1) == ["hi"]


async def test_send_message_records_what_the_user_sees(fake_telegram: FakeTelegram, bot: Bot):
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Lâm Đồng", callback_data="/tinh lam-dong")]])
    first = await bot.send_message(42, "<b>Tin</b> &amp; <a href=\"https://x.vn\">đọc</a> &#273; &nbsp;", parse_mode="HTML", reply_markup=markup)
    second = await bot.send_message(42, "plain <b>not parsed</b>")
    other = await bot.send_message(-100123, "group")
    assert (first.message_id, second.message_id, other.message_id) == (1, 2, 1)
    assert first.text == "Tin & đọc đ &nbsp;"
    assert fake_telegram.sent(42) == ["Tin & đọc đ &nbsp;", "plain <b>not parsed</b>"]
    message = fake_telegram.last_message(42)
    assert message.message_id == 2 and fake_telegram.message(42, 1).button_data() == ["/tinh lam-dong"]
    assert fake_telegram.message(42, 1).button_data("lâm") == ["/tinh lam-dong"]
    assert fake_telegram.sent_messages(42)[0].html.startswith("<b>Tin</b>")
    # Pushed user messages share the chat's message ids.
    update = fake_telegram.push_message(42, "/start")
    assert update["message"]["message_id"] == 3
    assert (await bot.send_message(42, "x")).message_id == 4


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("<b>unclosed", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<div>x</div>", 'Unsupported start tag "div" at byte offset 0'),
        ("ok</b>", "Unexpected end tag at byte offset 2"),
        ("<b><i>x</b></i>", "Unexpected end tag"),
        ("line<br/>", 'Unsupported start tag "br"'),
        ('<span class="x">y</span>', 'Tag "span" must have class "tg-spoiler"'),
        ("<b></b>", "Message text is empty"),
    ],
)
async def test_html_is_validated_like_telegram(bot: Bot, text: str, error: str):
    with pytest.raises(BadRequest) as caught:
        await bot.send_message(1, text, parse_mode="HTML")
    assert error.lower() in str(caught.value).lower()


def test_html_entities_and_lengths():
    assert html_to_text("<pre><code>a &lt; b</code></pre> <tg-spoiler>s</tg-spoiler>") == "a < b s"
    assert html_to_text("a < b") == "a < b"
    assert utf16_len("😀") == 2 and utf16_len("Đà Lạt") == 6


async def test_length_limit_counts_utf16_units_after_parsing(fake_telegram: FakeTelegram, bot: Bot):
    await bot.send_message(1, "😀" * 2048)
    await bot.send_message(1, "<b>" + "a" * 4096 + "</b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match="(?i)message is too long"):
        await bot.send_message(1, "😀" * 2048 + "a")
    assert len(fake_telegram.sent(1)) == 2


async def test_callback_data_limit_is_64_bytes(bot: Bot):
    fits = "/tinh " + "đ" * 29  # 6 + 58 bytes
    await bot.send_message(1, "x", reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("a", callback_data=fits)]]))
    with pytest.raises(BadRequest, match="(?i)button_data_invalid"):
        await bot.send_message(1, "x", reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("a", callback_data=fits + "a")]]))


async def test_edits(fake_telegram: FakeTelegram, bot: Bot):
    message = await bot.send_message(7, "one", reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("a", callback_data="/a")]]))
    edited = await bot.edit_message_text("two", chat_id=7, message_id=message.message_id)
    assert edited.text == "two" and fake_telegram.message(7, 1).reply_markup is None  # no markup: removed
    with pytest.raises(BadRequest, match="(?i)not modified"):
        await bot.edit_message_text("two", chat_id=7, message_id=1)
    await bot.edit_message_reply_markup(chat_id=7, message_id=1, reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("b", callback_data="/b")]]))
    assert fake_telegram.message(7, 1).button_data() == ["/b"] and fake_telegram.message(7, 1).edits == 2
    with pytest.raises(BadRequest, match="(?i)message to edit not found"):
        await bot.edit_message_text("x", chat_id=7, message_id=99)
    fake_telegram.freeze_message(7, 1)
    with pytest.raises(BadRequest, match="(?i)can't be edited"):
        await bot.edit_message_text("three", chat_id=7, message_id=1)
    assert [c.params["text"] for c in fake_telegram.edits(7)] == ["two"]


async def test_callback_queries_are_answered_once(fake_telegram: FakeTelegram, bot: Bot):
    update = fake_telegram.push_callback(9, 1, "/tinh")
    query_id = update["callback_query"]["id"]
    assert await bot.answer_callback_query(query_id, text="Đã thêm")
    with pytest.raises(BadRequest, match="(?i)query is too old"):
        await bot.answer_callback_query(query_id)
    with pytest.raises(BadRequest):
        await bot.answer_callback_query("unknown")
    assert fake_telegram.callback_answer(update).params["text"] == "Đã thêm"


async def test_get_updates_long_polls_and_confirms_by_offset(fake_telegram: FakeTelegram, bot: Bot):
    fake_telegram.max_poll_seconds = 5
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await fake_telegram.wait_for(lambda: fake_telegram.waiting_polls, 5)
    fake_telegram.push_message(42, "/start lam-dong", language_code="en")
    (update,) = await asyncio.wait_for(poll, 5)
    assert update.message.text == "/start lam-dong" and update.message.from_user.language_code == "en"
    assert update.message.entities[0].type == "bot_command" and update.message.entities[0].length == 6
    # Not confirmed yet: served again; then confirmed by a higher offset.
    assert [u.update_id for u in await bot.get_updates(timeout=0)] == [update.update_id]
    assert await bot.get_updates(offset=update.update_id + 1, timeout=0) == ()
    assert fake_telegram.confirmed(update.update_id) and fake_telegram.pending_updates() == 0


async def test_long_poll_is_bounded(fake_telegram: FakeTelegram, bot: Bot):
    fake_telegram.max_poll_seconds = 0.05
    assert await bot.get_updates(timeout=30) == ()


async def test_updates_parse_as_telegram_objects(fake_telegram: FakeTelegram, bot: Bot):
    fake_telegram.push_my_chat_member(-1001, "administrator", title="Nhóm")
    fake_telegram.push_my_chat_member(-1001, "kicked")
    fake_telegram.push_my_chat_member(55, "kicked")
    fake_telegram.push_migrate(-5, -1005)
    fake_telegram.push_message(-1001, "/tinh", anonymous_admin=True)
    fake_telegram.push_message(-1001, "/tinh", sender_chat_id=-1009)
    fake_telegram.push_message(-1002, "/tinh", chat_type="channel")
    updates = await bot.get_updates(timeout=0)
    added, kicked, blocked, migrate_to, migrate_from, anonymous, linked, channel = updates
    assert isinstance(added.my_chat_member.new_chat_member, ChatMemberAdministrator)
    assert added.my_chat_member.old_chat_member.status == "left" and added.effective_chat.title == "Nhóm"
    assert isinstance(kicked.my_chat_member.new_chat_member, ChatMemberBanned)
    assert blocked.my_chat_member.chat.type == "private" and blocked.my_chat_member.new_chat_member.status == "kicked"
    assert migrate_to.message.migrate_to_chat_id == -1005 and migrate_from.message.migrate_from_chat_id == -5
    assert anonymous.message.sender_chat.id == -1001 and anonymous.message.from_user.username == "GroupAnonymousBot"
    assert linked.message.sender_chat.id == -1009 and linked.message.is_automatic_forward
    assert channel.channel_post.chat.type == "channel" and channel.channel_post.sender_chat.id == -1002
    # The upgraded group now answers "migrated"; the private chat that blocked us answers 403.
    with pytest.raises(ChatMigrated) as caught:
        await bot.send_message(-5, "x")
    assert caught.value.new_chat_id == -1005
    with pytest.raises(Forbidden, match="blocked"):
        await bot.send_message(55, "x")
    assert Update.de_json(fake_telegram.push_update({"message": {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}}}), bot)


async def test_chat_members_and_chats(fake_telegram: FakeTelegram, bot: Bot):
    fake_telegram.set_member_status(-1001, 1, "creator")
    fake_telegram.set_member_status(-1001, 2, "administrator")
    assert isinstance(await bot.get_chat_member(-1001, 1), ChatMemberOwner)
    assert isinstance(await bot.get_chat_member(-1001, 2), ChatMemberAdministrator)
    assert isinstance(await bot.get_chat_member(-1001, 3), ChatMemberMember)
    for status in ("restricted", "left", "kicked"):
        fake_telegram.set_member_status(-1001, 4, status)
        assert (await bot.get_chat_member(-1001, 4)).status == status
    assert {m.user.id for m in await bot.get_chat_administrators(-1001)} == {1, 2}
    fake_telegram.push_message(-1001, "hi", title="Sở TTTT")
    assert (await bot.get_chat(-1001)).title == "Sở TTTT"


async def test_commands_menu(fake_telegram: FakeTelegram, bot: Bot):
    await bot.set_my_commands([("tinh", "Tỉnh")])
    await bot.set_my_commands([("province", "Province")], language_code="en")
    assert [c.command for c in await bot.get_my_commands(language_code="en")] == ["province"]
    assert fake_telegram.commands("") == [{"command": "tinh", "description": "Tỉnh"}]
    with pytest.raises(BadRequest, match="(?i)bot_command_invalid"):
        await bot.set_my_commands([("Tỉnh", "x")])


async def test_scripted_failures(fake_telegram: FakeTelegram, bot: Bot):
    rule = fake_telegram.fail("flood", retry_after=7, times=2)
    for _ in range(2):
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(1, "x")
        assert "7" in str(caught.value)
    await bot.send_message(1, "x")
    assert rule.hits == 2 and fake_telegram.flood_count == 2

    fake_telegram.fail("blocked", chat_id=2, times=None)
    with pytest.raises(Forbidden, match="blocked by the user"):
        await bot.send_message(2, "x")
    await bot.send_message(3, "other chats are fine")
    fake_telegram.fail("chat_not_found")
    with pytest.raises(BadRequest, match="(?i)chat not found"):
        await bot.send_message(3, "x")
    fake_telegram.fail("migrated", migrate_to=-1009)
    with pytest.raises(ChatMigrated):
        await bot.send_message(-9, "x")
    fake_telegram.fail("bad_gateway")
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.send_message(3, "x")
    fake_telegram.fail("server_error", methods=["getChat"])
    await bot.send_message(3, "x")  # only getChat is scripted
    with pytest.raises(NetworkError):
        await bot.get_chat(3)
    fake_telegram.remove_chat(4)
    with pytest.raises(BadRequest, match="(?i)chat not found"):
        await bot.get_chat(4)
    fake_telegram.block(5)
    fake_telegram.unblock(5)
    await bot.send_message(5, "x")
    assert [c.status for c in fake_telegram.requests("sendMessage", ok=False)] == [429, 429, 403, 400, 400, 502]


async def test_slow_answers_still_deliver(fake_telegram: FakeTelegram):
    fake_telegram.delay(0.3, chat_id=8, times=1)
    request = HTTPXRequest(read_timeout=0.05)
    async with Bot(TOKEN, base_url=fake_telegram.base_url, request=request) as bot:
        with pytest.raises(TimedOut):
            await bot.send_message(8, "late")
        await fake_telegram.wait_call("sendMessage", chat_id=8)
    assert fake_telegram.sent(8) == ["late"]  # the user got it although the client gave up


async def test_rate_enforcer(fake_telegram: FakeTelegram, bot: Bot):
    # Refill rates so slow that no test machine is slow enough to earn a token back.
    fake_telegram.enforce_rate_limits(RateLimits(global_per_second=1000, per_chat_per_second=0.001, per_chat_burst=3, group_per_minute=None))
    for _ in range(3):
        await bot.send_message(1, "x")
    with pytest.raises(RetryAfter):
        await bot.send_message(1, "x")
    await bot.send_message(2, "another chat has its own budget")
    fake_telegram.enforce_rate_limits(RateLimits(global_per_second=0.001, global_burst=2, per_chat_per_second=100, per_chat_burst=100))
    await bot.send_message(10, "a")
    await bot.send_message(11, "b")
    with pytest.raises(RetryAfter):
        await bot.send_message(12, "c")
    assert fake_telegram.flood_count == 2
    fake_telegram.enforce_rate_limits(None)
    await bot.send_message(12, "c")


async def test_groups_have_a_per_minute_budget(fake_telegram: FakeTelegram, bot: Bot):
    # One message each, then the 429 says how long until the chat's bucket has a token again:
    # 0.1/s for a private chat, 0.6/min (0.01/s) for a group.
    fake_telegram.enforce_rate_limits(RateLimits(global_per_second=1000, per_chat_per_second=0.1, per_chat_burst=1, group_per_minute=0.6))
    await bot.send_message(1, "p")
    await bot.send_message(-1001, "g")
    with pytest.raises(RetryAfter) as private:
        await bot.send_message(1, "p")
    with pytest.raises(RetryAfter) as group:
        await bot.send_message(-1001, "g")
    assert "Retry in 10 seconds" in str(private.value) and "Retry in 100 seconds" in str(group.value)


async def test_token_and_unknown_methods(fake_telegram: FakeTelegram):
    server = FakeTelegram(token=TOKEN).start()
    try:
        async with Bot(TOKEN, base_url=server.base_url) as bot:
            with pytest.raises(TelegramError, match="not found"):  # 404, as Telegram answers
                await bot.do_api_request("noSuchMethod")
        with pytest.raises(InvalidToken):
            async with Bot("1:wrong", base_url=server.base_url):
                pass
    finally:
        server.stop()


async def test_custom_handlers_and_form_bodies(fake_telegram: FakeTelegram):
    fake_telegram.on("sendPoll", lambda params: {"poll": params["question"]})
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{fake_telegram.base_url}{TOKEN}/sendPoll", data={"question": "?", "chat_id": "1"})
        assert response.json() == {"ok": True, "result": {"poll": "?"}}
        response = await client.get(f"{fake_telegram.base_url}{TOKEN}/sendMessage", params={"chat_id": "3", "text": "123"})
        assert response.json()["result"]["text"] == "123"
        response = await client.post(f"{fake_telegram.base_url}{TOKEN}/sendMessage", files={"chat_id": (None, "3"), "text": (None, "multipart")})
        assert response.json()["ok"]
    assert fake_telegram.sent(3) == ["123", "multipart"]


async def test_wait_for_is_bounded_and_event_driven(fake_telegram: FakeTelegram):
    with pytest.raises(TimeoutError):
        await fake_telegram.wait_for(lambda: fake_telegram.sent(1), 0.05)

    def later() -> None:
        httpx.post(f"{fake_telegram.base_url}{TOKEN}/sendMessage", data={"chat_id": "1", "text": "now"})

    thread = threading.Thread(target=later)
    thread.start()
    assert await fake_telegram.wait_sent(1) == ["now"]
    thread.join()
    mark = fake_telegram.mark()
    assert fake_telegram.calls_since(mark) == []


async def test_async_context_manager_and_restartable_ports():
    async with FakeTelegram() as server:
        assert server.port and server.base_url.endswith("/bot")
        async with Bot(TOKEN, base_url=server.base_url) as bot:
            await bot.send_message(1, "x")
    assert server.sent(1) == ["x"]


async def test_an_outage_answers_html_502_pages_for_its_span_then_recovers(fake_telegram: FakeTelegram, bot: Bot):
    outage = fake_telegram.outage(0.3)
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.send_message(1, "lost")
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.get_updates(timeout=0)  # every method, not only sends
    async with httpx.AsyncClient() as client:
        page = await client.post(f"{fake_telegram.base_url}{TOKEN}/getMe")
    assert page.status_code == 502 and page.headers["content-type"].startswith("text/html")
    assert page.text.startswith("<html>")
    await asyncio.sleep(max(0.0, outage.until - time.monotonic()) + 0.05)
    assert (await bot.send_message(1, "back")).text == "back"
    assert fake_telegram.sent(1) == ["back"] and outage.hits == 3


async def test_an_outage_of_one_method_leaves_the_others_working(fake_telegram: FakeTelegram, bot: Bot):
    fake_telegram.outage(60, methods=["sendMessage"])
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.send_message(2, "lost")
    assert (await bot.get_me()).username == fake_telegram.bot_username
    fake_telegram.push_message(2, "/start")
    assert len(await bot.get_updates(timeout=0)) == 1
    fake_telegram.clear_rules()  # the outage ends early
    await bot.send_message(2, "back")
    assert fake_telegram.sent(2) == ["back"]


class WebhookReceiver:
    """A bot's webhook endpoint on 127.0.0.1: records each POST (headers, JSON body); answers
    ``status``, or 403 when ``secret`` is set and the request does not carry it."""

    def __init__(self, *, status: int = 200, secret: str | None = None) -> None:
        self.status, self.secret = status, secret
        self.posts: list[tuple[dict[str, str], dict]] = []
        self.url = ""

    async def _receive(self, request: web.Request) -> web.Response:
        self.posts.append((dict(request.headers), await request.json()))
        if self.secret is not None and request.headers.get(SECRET_HEADER) != self.secret:
            return web.Response(status=403)
        return web.Response(status=self.status)

    async def __aenter__(self) -> WebhookReceiver:
        app = web.Application()
        app.router.add_post("/hook", self._receive)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/hook"
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._runner.cleanup()


async def test_webhook_receives_updates_with_the_secret_header(fake_telegram: FakeTelegram, bot: Bot):
    async with WebhookReceiver() as hook:
        assert await bot.set_webhook(hook.url, secret_token="s3cret-Token_1", allowed_updates=["message"])
        assert fake_telegram.webhook.secret_token == "s3cret-Token_1"
        assert [c.params["url"] for c in fake_telegram.requests("setWebhook")] == [hook.url]
        update = fake_telegram.push_message(42, "/start")
        await fake_telegram.wait_for(lambda: fake_telegram.confirmed(update["update_id"]))
        [(headers, body)] = hook.posts
        assert headers[SECRET_HEADER] == "s3cret-Token_1" and body == update
        info = await bot.get_webhook_info()
        assert (info.url, info.pending_update_count, info.allowed_updates) == (hook.url, 0, ("message",))
        with pytest.raises(Conflict, match="webhook is active"):
            await bot.get_updates(timeout=0)
        assert await bot.delete_webhook()
        assert (await bot.get_webhook_info()).url == ""
        fake_telegram.push_message(42, "after")
        [later] = await bot.get_updates(timeout=0)  # back to polling
    assert later.message.text == "after" and len(hook.posts) == 1
    assert [c.method for c in fake_telegram.requests(ok=True) if "ebhook" in c.method] == [
        "setWebhook", "getWebhookInfo", "deleteWebhook", "getWebhookInfo",
    ]


async def test_a_failing_webhook_is_retried_and_its_error_reported(fake_telegram: FakeTelegram, bot: Bot):
    fake_telegram.webhook_retry_seconds = 0.05
    async with WebhookReceiver(status=500) as hook:
        await bot.set_webhook(hook.url)
        update = fake_telegram.push_message(7, "xin chào")
        await fake_telegram.wait_for(lambda: len(hook.posts) >= 2, what="a second attempt")
        info = await bot.get_webhook_info()
        assert info.pending_update_count == 1 and "500" in info.last_error_message
        assert not fake_telegram.confirmed(update["update_id"])
        hook.status = 200
        await fake_telegram.wait_for(lambda: fake_telegram.confirmed(update["update_id"]))
    assert {body["update_id"] for _, body in hook.posts} == {update["update_id"]}
    assert SECRET_HEADER not in hook.posts[0][0]  # no secret set, no header
    assert [d.ok for d in fake_telegram.webhook_deliveries][-1] and fake_telegram.pending_updates() == 0


async def test_post_update_chooses_the_secret_it_sends(fake_telegram: FakeTelegram, bot: Bot):
    async with WebhookReceiver(secret="right") as hook:
        await bot.set_webhook(hook.url, secret_token="right")
        message = {"message": {"message_id": 1, "date": 0, "chat": {"id": 3, "type": "private", "first_name": "A"}, "text": "hi"}}
        assert (await fake_telegram.post_update(message)).status == 200  # the secret setWebhook set
        assert (await fake_telegram.post_update(message, secret_token="wrong")).status == 403
        assert (await fake_telegram.post_update(message, secret_token="")).status == 403  # no header
    assert [headers.get(SECRET_HEADER) for headers, _ in hook.posts] == ["right", "wrong", None]
    assert all(body["update_id"] and body["message"]["text"] == "hi" for _, body in hook.posts)
    assert fake_telegram.pending_updates() == 0  # posted outside the queue


async def test_set_webhook_is_checked(bot: Bot):
    with pytest.raises(BadRequest, match="127.0.0.1"):
        await bot.set_webhook("https://example.org/hook")  # never leaves the machine
    with pytest.raises(BadRequest, match="(?i)secret token"):
        await bot.set_webhook("http://127.0.0.1:9/hook", secret_token="có dấu")
