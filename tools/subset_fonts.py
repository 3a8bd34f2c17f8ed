"""Remake the shipped font subsets (a developer's tool, not a run-time dependency).

- ``bot/infra/fonts/menu.otf``: the glyphs of every rich-menu label, cut from Noto Sans CJK TC Bold;
- ``bot/demo/simulator/static/emoji.ttf``: the emoji the bot's messages and the simulator show,
  cut from Noto Color Emoji, so the simulator draws them on a machine without an emoji font.

    pip install fonttools
    apt-get install fonts-noto-cjk fonts-noto-color-emoji   # the sources
    python tools/subset_fonts.py

Run it after changing a menu label or adding an emoji; until then the test suite fails
(``tests/test_richmenu.py`` and ``tests/test_simulator.py`` check each font's glyphs).
Both sources are under the SIL Open Font License 1.1 (``OFL.txt``).
"""
from __future__ import annotations

import sys
from pathlib import Path

from bot.infra.fonts import EMOJI_FONT, MENU_FONT, emoji_used
from messages.richmenu import drawn_text

CJK_SOURCE = "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"
TC_FACE = 3  # in Debian's collection: JP, KR, SC, TC, HK, then the Mono faces
EMOJI_SOURCE = "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf"


def cut(source: str, text: str, target: Path, face: int = -1) -> str:
    """Save the glyphs of ``text`` that ``source`` has into ``target``; returns the characters kept."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(source, fontNumber=face)
    kept = "".join(ch for ch in text if ord(ch) in font.getBestCmap())
    options = subset.Options()
    options.hinting = False
    options.layout_features = []
    options.name_IDs = ["*"]  # keep the copyright and licence records (OFL condition 2)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=kept)
    subsetter.subset(font)
    font.save(target)
    print(f"{target}: {len(kept)} characters, {target.stat().st_size} bytes")
    return kept


def main(argv: list[str]) -> int:
    cut(CJK_SOURCE, drawn_text(), MENU_FONT, TC_FACE)
    cut(EMOJI_SOURCE, emoji_used(), EMOJI_FONT)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
