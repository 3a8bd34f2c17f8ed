"""The rich menus' words: the buttons of each role's menu (each sends its label as a message)."""
from __future__ import annotations

from messages import commands as c

CHAT_BAR_TEXT = "選單"  # at most 14 characters
GUEST, STUDENT, TEACHER, HOMEROOM, STAFF = "guest", "student", "teacher", "homeroom", "staff"
OFFICE = "office"  # staff (註冊組, 教學組, 訓育組, 管理者) who teach nothing: no 待認證

# role -> button labels, in reading order (at most 6). The guest menu is the default one:
# what people see before they bind.
BUTTONS: dict[str, tuple[str, ...]] = {
    GUEST: (c.BIND_HELP.label, c.HELP.label),
    STUDENT: (c.STATUS.label, c.DEADLINES.label, c.RECEIPTS.label, c.SETTINGS.label, c.HELP.label, c.MENU.label),
    TEACHER: (c.PENDING.label, c.SETTINGS.label, c.HELP.label),
    HOMEROOM: (c.PENDING.label, c.CLASS_LISTS.label, c.SETTINGS.label, c.HELP.label),
    STAFF: (c.STATS.label, c.CONSOLE.label, c.PENDING.label, c.SETTINGS.label, c.HELP.label),
    OFFICE: (c.STATS.label, c.CONSOLE.label, c.SETTINGS.label, c.HELP.label),
}


def drawn_text() -> str:
    """Every character a rich menu draws (the labels of every role's buttons), sorted."""
    return "".join(sorted({ch for labels in BUTTONS.values() for label in labels for ch in label}))


TITLES: dict[str, str] = {
    GUEST: "學習歷程小幫手：尚未綁定",
    STUDENT: "學習歷程小幫手：學生",
    TEACHER: "學習歷程小幫手：任課教師",
    HOMEROOM: "學習歷程小幫手：導師",
    STAFF: "學習歷程小幫手：行政",
    OFFICE: "學習歷程小幫手：行政（未任課）",
}


def font_not_found(path: str) -> str:
    return f"找不到字型檔 {path}，無法繪製圖文選單。請用 --font 指定存在的 .ttf/.otf/.ttc 字型檔。"


def font_unreadable(path: str) -> str:
    return f"字型檔 {path} 無法讀取，無法繪製圖文選單。請用 --font 指定 .ttf/.otf/.ttc 字型檔。"


def font_lacks(path: str, missing: str) -> str:
    return (f"字型檔 {path} 無法顯示中文選單：缺少「{missing}」，無法繪製圖文選單。請用 --font 指定含這些字的"
            "中文字型檔；若是更改了選單文字，請以 python tools/subset_fonts.py 重新產生內附字型。")
