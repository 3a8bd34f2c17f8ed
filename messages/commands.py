"""What people type or tap: each chat command's label (on menus and rich menus) and the other
words that mean the same. Handlers route on these; the menus show the labels. One table, so a
renamed button can never stop answering."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Command:
    label: str                     # shown on quick replies and rich menus, and sent when tapped
    aliases: tuple[str, ...] = ()  # typed words that mean the same (letters in any case)

    @property
    def words(self) -> tuple[str, ...]:
        return (self.label, *self.aliases)


BIND_HELP = Command("綁定說明", ("綁定", "綁定碼"))
UNBIND = Command("解除綁定")
HELP = Command("說明", ("幫助", "help", "faq", "?", "？"))
MENU = Command("選單", ("menu", "功能"))
STATUS = Command("我的進度", ("進度", "我的狀態"))
DEADLINES = Command("期限", ("截止", "截止日", "期程"))
RECEIPTS = Command("收訖明細", ("收訖", "收訖確認", "收訖明細確認"))
SETTINGS = Command("設定", ("提醒設定", "通知設定"))
PENDING = Command("待認證", ("認證",))
CLASS_LISTS = Command("班級名單", ("班級",))
STATS = Command("統計", ("今日統計",))
CONSOLE = Command("後台", ("後臺", "管理後台", "console"))
CANCEL = Command("取消")
