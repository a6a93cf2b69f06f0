"""Zalo through its Bot API (bot.zaloplatforms.com): a thin client of our own over aiohttp."""
