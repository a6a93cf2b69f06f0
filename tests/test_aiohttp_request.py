"""The aiohttp request backend speaks the Bot API exactly like PTB's default one."""

from __future__ import annotations

import pytest
from telegram import Bot
from telegram.error import Forbidden, RetryAfter, TimedOut

from bot.messengers.telegram.aiohttp_request import AiohttpRequest

TOKEN = "123456789:AAtestTokenForAiohttpRequestOnly000"


@pytest.fixture
async def bot(fake_telegram):
    bot = Bot(TOKEN, base_url=fake_telegram.base_url, request=AiohttpRequest(8, read_timeout=0.5))
    await bot.initialize()
    yield bot
    await bot.shutdown()


async def test_sends_html_with_buttons(bot, fake_telegram):
    from telegram import InlineKeyboardButton, InlineKeyboardMarkup

    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Lâm Đồng", callback_data="/tinh lam-dong")]])
    message = await bot.send_message(777, "<b>Lâm Đồng</b> &amp; bưu chính", parse_mode="HTML", reply_markup=markup)
    assert message.message_id
    assert fake_telegram.sent(777) == ["Lâm Đồng & bưu chính"]
    assert fake_telegram.last_message(777).button_data() == ["/tinh lam-dong"]


async def test_errors_map_to_ptb_exceptions(bot, fake_telegram):
    fake_telegram.fail("flood", chat_id=778, retry_after=3)
    with pytest.raises(RetryAfter):
        await bot.send_message(778, "x")
    fake_telegram.block(779)
    with pytest.raises(Forbidden):
        await bot.send_message(779, "x")
    fake_telegram.delay(2.0, chat_id=780, times=1)
    with pytest.raises(TimedOut):
        await bot.send_message(780, "slow")
    assert (await bot.send_message(781, "fine")).text == "fine"
