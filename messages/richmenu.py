"""The rich menus' words: the buttons of each role's menu (each sends its label as a message)."""
from __future__ import annotations

CHAT_BAR_TEXT = "選單"  # at most 14 characters
GUEST, STUDENT, TEACHER, HOMEROOM, STAFF = "guest", "student", "teacher", "homeroom", "staff"

# role -> button labels, in reading order (at most 6). The guest menu is the default one:
# what people see before they bind.
BUTTONS: dict[str, tuple[str, ...]] = {
    GUEST: ("綁定說明", "說明"),
    STUDENT: ("我的進度", "期限", "收訖明細", "設定", "說明", "選單"),
    TEACHER: ("待認證", "設定", "說明"),
    HOMEROOM: ("待認證", "班級名單", "設定", "說明"),
    STAFF: ("統計", "待認證", "設定", "說明"),
}
TITLES: dict[str, str] = {
    GUEST: "學習歷程小幫手：尚未綁定",
    STUDENT: "學習歷程小幫手：學生",
    TEACHER: "學習歷程小幫手：任課教師",
    HOMEROOM: "學習歷程小幫手：導師",
    STAFF: "學習歷程小幫手：行政",
}
NO_FONT = ("找不到可顯示中文的字型，無法繪製圖文選單。請安裝 CJK 字型（例如 Debian/Ubuntu 的 "
           "fonts-noto-cjk：apt-get install fonts-noto-cjk），或用 --font 指定 .ttf/.otf/.ttc 字型檔。")
