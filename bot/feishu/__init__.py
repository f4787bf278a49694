"""Feishu (Lark): `visitdesk run feishu` (see `bot.feishu.start.serve`)."""

from bot.feishu.start import serve

__all__ = ["serve"]
