"""Property: whatever arrives, dispatch answers commands, never fails, never breaks the limits."""

from __future__ import annotations

import asyncio

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.messages import t
from bot.messengers.registry import profiles
from bot.vietnamese.gazetteer import default_gazetteer
from bot.vietnamese.topics import default_topics
from handlers.router import ALL_COMMANDS, dispatch
from handlers.types import Incoming, Services
from storage.db import Database
from tests.conftest import ADMIN_ID, Clock, make_config, shown

NAMES = sorted({n for c in ALL_COMMANDS for n in (c.name, *c.aliases)})
ODD = ["مرحبا بالعالم", "שלום", "\u202eevil\u202c", "🙂👍🏽🇻🇳", "a\u0301\u0323", "\x00\x07\x1b[31m",
       "\u200b\ufeff", "tất cả", "có", "yes", "<b>", "&amp;", "lam dong", "t2 08:00", "7", "k:zz",
       "r:tay-nguyen", "t:lam-dong", "xong", "tatca", "\n\n", "https://a.vn/rss", "@Bot"]

words = st.one_of(st.sampled_from(ODD), st.text(max_size=40))
args = st.lists(words, max_size=6).map(lambda parts: " ".join(parts))
huge = st.builds(lambda s, n: (s or "x") * n, st.sampled_from(ODD + ["a", "đ", "🙂"]), st.integers(900, 5000))
commands = st.builds(
    lambda name, sep, rest: f"/{name}{sep}{rest}",
    st.sampled_from(NAMES),
    st.sampled_from([" ", "\n", "@DiemTinBot ", ""]),
    st.one_of(args, huge),
)
messages = st.one_of(
    commands,
    st.builds(lambda s: "/" + s, st.text(max_size=60)),
    st.text(max_size=200),
    huge,
    args,
)


def test_dispatch_survives_anything(tmp_path):
    with asyncio.Runner() as runner:
        db = runner.run(Database.open(tmp_path / "fuzz.sqlite3"))
        clock = Clock()
        services = Services(
            db=db, config=make_config(tmp_path), gazetteer=default_gazetteer(),
            topics=default_topics(), clock=clock, profiles=profiles(make_config(tmp_path)),
        )
        errors = {str(t("vi", "common.error")), str(t("en", "common.error"))}

        @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
        @given(
            text=messages,
            kind=st.sampled_from(["private", "group", "supergroup"]),
            button=st.booleans(),
            manage=st.sampled_from([None, True, False]),
            user=st.sampled_from(["7", ADMIN_ID]),
            lang=st.sampled_from([None, "vi", "en", "en-US", "zz"]),
            chat=st.sampled_from(["1", "-2", "3"]),
        )
        def check(text, kind, button, manage, user, lang, chat):
            async def can_manage() -> bool:
                return bool(manage)

            incoming = Incoming(
                messenger="telegram", chat_id=chat, chat_kind=kind if chat.startswith("-") else "private",
                user_id=user, user_lang=lang, text=text, is_button=button,
                can_manage=None if manage is None else can_manage,
            )
            clock.advance(7)
            replies = runner.run(dispatch(services, incoming))
            if button or text.lstrip().startswith("/"):
                assert replies, f"no reply to {text[:80]!r}"
            for reply in replies:
                assert shown(reply).text not in errors, f"handler error on {text[:80]!r}"

        try:
            check()
        finally:
            runner.run(db.close())
