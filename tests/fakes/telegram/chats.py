"""Chats, users and chat members as the Bot API shows them in JSON.

Chat ids are ints (strings of digits are converted); positive ids are private chats, ids
starting with -100 supergroups (or channels), other negative ids basic groups.
"""

from __future__ import annotations

from typing import Any

ANONYMOUS_ADMIN_ID = 1087968824  # "GroupAnonymousBot": the sender of anonymous admins' messages
SERVICE_USER_ID = 777000  # "Telegram": the sender of automatic forwards from a linked channel
DEFAULT_BOT_ID = 5550001
DEFAULT_BOT_USERNAME = "diemtin_test_bot"
DEFAULT_GROUP_USER = 20001  # who speaks in a group when no user_id is given

# The fields each ChatMember status carries besides status and user.
_MEMBER_FIELDS: dict[str, dict[str, Any]] = {
    "creator": {"is_anonymous": False},
    "administrator": dict.fromkeys(
        (
            "can_be_edited", "is_anonymous", "can_manage_chat", "can_delete_messages",
            "can_manage_video_chats", "can_restrict_members", "can_promote_members",
            "can_change_info", "can_invite_users", "can_post_stories", "can_edit_stories",
            "can_delete_stories",
        ),
        False,
    ),
    "member": {},
    "restricted": {
        **dict.fromkeys(
            (
                "can_change_info", "can_invite_users", "can_pin_messages", "can_send_messages",
                "can_send_polls", "can_send_other_messages", "can_add_web_page_previews",
                "can_manage_topics", "can_send_audios", "can_send_documents", "can_send_photos",
                "can_send_videos", "can_send_video_notes", "can_send_voice_notes", "can_edit_tag",
                "can_react_to_messages",
            ),
            False,
        ),
        "is_member": True,
        "until_date": 0,
    },
    "left": {},
    "kicked": {"until_date": 0},
}
MEMBER_STATUSES = frozenset(_MEMBER_FIELDS)


def chat_key(chat_id: Any) -> int | str:
    """Chat ids as Telegram compares them: ints, or '@username' strings."""
    if isinstance(chat_id, int):
        return chat_id
    text = str(chat_id).strip()
    try:
        return int(text)
    except ValueError:
        return text


def optional_chat(chat_id: Any) -> int | str | None:
    """``chat_key``, with None for "any chat"."""
    return None if chat_id is None else chat_key(chat_id)


def chat_type_for(chat_id: int | str) -> str:
    if isinstance(chat_id, str):
        return "channel"
    if chat_id > 0:
        return "private"
    return "supergroup" if str(chat_id).startswith("-100") else "group"


def user_json(user_id: int, language_code: str | None = None, first_name: str | None = None, username: str | None = None) -> dict:
    user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name or f"User{user_id}"}
    if username:
        user["username"] = username
    if language_code:
        user["language_code"] = language_code
    return user


def chat_json(chat_id: Any, chat_type: str | None = None, title: str | None = None, user: dict | None = None) -> dict:
    chat_type = chat_type or chat_type_for(chat_id)
    if chat_type == "private":
        chat: dict[str, Any] = {"id": chat_id, "type": "private", "first_name": (user or {}).get("first_name") or f"User{chat_id}"}
        if user and user.get("username"):
            chat["username"] = user["username"]
        return chat
    return {"id": chat_id, "type": chat_type, "title": title or f"Nhóm {chat_id}"}


def member_json(status: str, user: dict) -> dict:
    """A ChatMember of the given status; raises ValueError for an unknown status."""
    if status not in _MEMBER_FIELDS:
        raise ValueError(f"unknown member status {status!r}")
    return {"status": status, "user": user, **_MEMBER_FIELDS[status]}
