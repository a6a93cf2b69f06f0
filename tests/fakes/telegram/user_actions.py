"""What users and Telegram do in chats, as the updates the bot receives.

Each helper builds the update Telegram would send (a text message with its command entity, a
button press, the bot's own membership changing, a group's upgrade to a supergroup), updates
the fake's view of chats and users accordingly, queues it and returns it.
"""

from __future__ import annotations

import time
from typing import Any

from tests.fakes.telegram.api import BotApi
from tests.fakes.telegram.chats import (
    ANONYMOUS_ADMIN_ID,
    DEFAULT_GROUP_USER,
    MEMBER_STATUSES,
    SERVICE_USER_ID,
    chat_key,
    chat_type_for,
    member_json,
)
from tests.fakes.telegram.faults import Faults
from tests.fakes.telegram.html_check import utf16_len
from tests.fakes.telegram.update_queue import UpdateQueue


class UserActions(BotApi, Faults, UpdateQueue):
    """push_message, push_callback, push_my_chat_member, push_migrate (a FakeTelegram part),
    on the chats and users the API knows, the chat states faults keep, and the update queue."""

    def push_message(
        self,
        chat_id: int | str,
        text: str,
        *,
        chat_type: str | None = None,
        user_id: int | None = None,
        language_code: str | None = "vi",
        first_name: str | None = None,
        username: str | None = None,
        title: str | None = None,
        anonymous_admin: bool = False,
        sender_chat_id: int | None = None,
        entities: list[dict] | None = None,
        reply_to_message_id: int | None = None,
    ) -> dict:
        """A user's text message (``/command`` gets its bot_command entity); returns the update.

        ``anonymous_admin``: sent by an anonymous group admin (as the group itself);
        ``sender_chat_id``: sent on behalf of another chat (e.g. a linked channel's post).
        """
        chat_id = chat_key(chat_id)
        chat_type = chat_type or chat_type_for(chat_id)
        if user_id is None:
            user_id = chat_id if chat_type == "private" else DEFAULT_GROUP_USER
        sender: dict | None
        if chat_type == "channel":
            sender = None
        elif anonymous_admin:
            sender = {"id": ANONYMOUS_ADMIN_ID, "is_bot": True, "first_name": "Group", "username": "GroupAnonymousBot"}
        elif sender_chat_id is not None:
            sender = {"id": SERVICE_USER_ID, "is_bot": False, "first_name": "Telegram"}
        else:
            sender = self._remember_user(int(user_id), language_code, first_name, username)
        chat = self._remember_chat(chat_id, chat_type, title, sender if chat_type == "private" else None)
        message = self._message_base(chat, sender)
        message["text"] = text
        if chat_type == "channel" or anonymous_admin:
            message["sender_chat"] = chat
        elif sender_chat_id is not None:
            message["sender_chat"] = {"id": sender_chat_id, "type": "channel", "title": f"Kênh {sender_chat_id}"}
            message["is_automatic_forward"] = True
        if entities is None and text.startswith("/"):
            command = text.split(maxsplit=1)[0] if text.strip() else text
            entities = [{"type": "bot_command", "offset": 0, "length": utf16_len(command)}]
        if entities:
            message["entities"] = entities
        if reply_to_message_id is not None:
            original = self._messages.get((chat_id, reply_to_message_id))
            message["reply_to_message"] = (
                self._message_json(original)
                if original
                else {"message_id": reply_to_message_id, "date": 0, "chat": chat}
            )
        kind = "channel_post" if chat_type == "channel" else "message"
        return self.push_update({kind: message})

    def push_callback(
        self,
        chat_id: int | str,
        message_id: int,
        data: str,
        *,
        user_id: int | None = None,
        chat_type: str | None = None,
        language_code: str | None = "vi",
        first_name: str | None = None,
        inaccessible: bool = False,
    ) -> dict:
        """A button press on one of the bot's messages; returns the update
        (the query id is ``update["callback_query"]["id"]``)."""
        chat_id = chat_key(chat_id)
        chat_type = chat_type or chat_type_for(chat_id)
        if user_id is None:
            user_id = chat_id if chat_type == "private" else DEFAULT_GROUP_USER
        user = self._remember_user(int(user_id), language_code, first_name, None)
        chat = self._chats.get(chat_id) or self._remember_chat(chat_id, chat_type, None, user)
        with self._lock:
            query_id = f"cq{next(self._callback_ids)}"
            self._callbacks[query_id] = {"answered": False, "chat_id": chat_id, "message_id": message_id, "data": data}
            original = self._messages.get((chat_id, message_id))
        if inaccessible:
            message = {"chat": chat, "message_id": message_id, "date": 0}
        elif original is not None:
            message = self._message_json(original)
        else:
            message = {"message_id": message_id, "date": int(time.time()), "chat": chat, "from": self.bot_user, "text": "…"}
        return self.push_update(
            {
                "callback_query": {
                    "id": query_id, "from": user, "message": message,
                    "chat_instance": f"ci{chat_id}", "data": data,
                }
            }
        )

    def push_my_chat_member(
        self,
        chat_id: int | str,
        new_status: str,
        *,
        chat_type: str | None = None,
        old_status: str | None = None,
        user_id: int | None = None,
        title: str | None = None,
        language_code: str | None = "vi",
    ) -> dict:
        """The bot's own membership changed (added, promoted, kicked, blocked by a user)."""
        if new_status not in MEMBER_STATUSES:
            raise ValueError(f"unknown member status {new_status!r}")
        chat_id = chat_key(chat_id)
        chat_type = chat_type or chat_type_for(chat_id)
        if user_id is None:
            user_id = chat_id if chat_type == "private" else DEFAULT_GROUP_USER
        if old_status is None:
            old_status = "left" if new_status in ("member", "administrator") else "member"
            if chat_type == "private" and new_status in ("member", "administrator"):
                old_status = "kicked"
        user = self._remember_user(int(user_id), language_code, None, None)
        chat = self._remember_chat(chat_id, chat_type, title, user if chat_type == "private" else None)
        with self._lock:
            self._members[(chat_id, self.bot_id)] = new_status
            if chat_type == "private":
                (self._blocked.add if new_status == "kicked" else self._blocked.discard)(chat_id)
        return self.push_update(
            {
                "my_chat_member": {
                    "chat": chat,
                    "from": user,
                    "date": int(time.time()),
                    "old_chat_member": member_json(old_status, self.bot_user),
                    "new_chat_member": member_json(new_status, self.bot_user),
                }
            }
        )

    def push_migrate(self, old_chat_id: int, new_chat_id: int, *, title: str | None = None, user_id: int = DEFAULT_GROUP_USER, upgrade: bool = True) -> tuple[dict, dict]:
        """A group became a supergroup: the two service messages Telegram sends.

        With ``upgrade`` the old id then answers "group chat was upgraded" to every send.
        """
        old_chat_id, new_chat_id = chat_key(old_chat_id), chat_key(new_chat_id)
        title = title or (self._chats.get(old_chat_id) or {}).get("title")
        user = self._remember_user(user_id, "vi", None, None)
        old_chat = self._remember_chat(old_chat_id, "group", title, None)
        new_chat = self._remember_chat(new_chat_id, "supergroup", title, None)
        if upgrade:
            self.upgrade_chat(old_chat_id, new_chat_id)
        first = self._message_base(old_chat, user) | {"migrate_to_chat_id": new_chat_id}
        second = self._message_base(new_chat, {"id": ANONYMOUS_ADMIN_ID, "is_bot": True, "first_name": "Group"})
        second |= {"migrate_from_chat_id": old_chat_id, "sender_chat": new_chat}
        return self.push_update({"message": first}), self.push_update({"message": second})

    def _message_base(self, chat: dict, sender: dict | None) -> dict:
        base: dict[str, Any] = {"message_id": self._new_message_id(chat["id"]), "date": int(time.time()), "chat": chat}
        if sender is not None:
            base["from"] = sender
        return base
