"""The bot's HTTP side: one server for webhooks, health and metrics (bot/web/server.py)."""
