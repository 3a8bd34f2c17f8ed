"""Fonts shipped with the project, so drawing never depends on what the host has installed.

``menu.otf`` is a subset of Noto Sans CJK TC Bold holding only the glyphs the rich menus draw;
``bot/demo/simulator/static/emoji.ttf`` a subset of Noto Color Emoji holding the emoji the bot's
messages use, served to the simulator page. Both are under the SIL Open Font License 1.1
(``OFL.txt``); ``tools/subset_fonts.py`` remakes them.
"""
from __future__ import annotations

from pathlib import Path

MENU_FONT = Path(__file__).with_name("menu.otf")
EMOJI_FONT = Path(__file__).parent.parent.parent / "demo" / "simulator" / "static" / "emoji.ttf"
_ROOT = Path(__file__).resolve().parents[3]  # the project folder (bot/infra/fonts/ is three below it)
EMOJI_SOURCES = ("messages/*.py", "bot/demo/simulator/static/*.js", "bot/demo/simulator/templates/*.html")


def is_emoji(ch: str) -> bool:
    """A pictograph the page should draw in colour (the 2600-27BF symbols and the emoji planes)."""
    return 0x2600 <= ord(ch) <= 0x27BF or ord(ch) >= 0x1F000


def emoji_used() -> str:
    """Every emoji in the bot's messages and the simulator's page, sorted."""
    found = {ch for pattern in EMOJI_SOURCES for path in _ROOT.glob(pattern)
             for ch in path.read_text(encoding="utf-8") if is_emoji(ch)}
    return "".join(sorted(found))
