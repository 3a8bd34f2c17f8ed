"""zh-TW texts and message builders for binding a LINE account to a person, and 解除綁定."""
from __future__ import annotations

from bot.domain.people import Person
from bot.infra.vocab import DUTY_LABELS, PersonKind
from messages import commands as c
from messages import common, texts

UNBIND_COMMAND = c.UNBIND.label
CODE_FORMAT = "綁定碼是 8 碼英文字母或數字（不分大小寫），例如：綁定 AB12CD34"
ASK_FOR_NEW_CODE = "如果綁定碼遺失或無法使用，請向導師或註冊組索取新的綁定碼。"
UNBIND_ACTION = "unbind"
UNBIND_CANCEL_ACTION = "unbind_cancel"


def role_of(person: Person, seat: int | None = None) -> str:
    """A person's role in words: 101 班 5 號學生, or 教師；101 班導師；任課教師、註冊組."""
    if person.kind == PersonKind.student:
        where = f"{person.class_code} 班" if person.class_code else ""
        if seat is not None:
            where += f" {seat} 號"
        return f"{where.strip()}學生" if where else "學生"
    parts = ["教師"]
    if person.class_code:
        parts.append(f"{person.class_code} 班導師")
    duties = [label for duty, label in DUTY_LABELS.items() if duty in person.duties]
    if duties:
        parts.append("、".join(duties))
    return "；".join(parts)


def describe(person: Person, seat: int | None = None) -> str:
    """Who a binding is for, e.g. 王小明（101 班 5 號學生） or 李大華（教師；101 班導師；註冊組）."""
    return f"{person.name}（{role_of(person, seat)}）"


def welcome(person: Person, seat: int | None = None, replaced: bool = False) -> dict:
    """Bound: greet the person by name and role, with the menu of their role."""
    student = person.kind == PersonKind.student
    title, you = ("同學", "你") if student else ("老師", "您")  # students are 你 everywhere
    lines = ["綁定成功！", f"{person.name}{title}{you}好，{you}已綁定為：{role_of(person, seat)}。"]
    if replaced:
        lines.append(f"{you}先前綁定的另一個 LINE 帳號已自動解除綁定。")
    lines.append(texts.MENU_TITLE)
    return common.menu(person.roles, "\n".join(lines))


def bad_code(tries_left: int) -> dict:
    """A wrong (or used) code, and how many tries are left before the lockout."""
    return common.text(
        f"綁定碼不正確或已使用過，請確認後再輸入一次。\n"
        f"還可以再試 {tries_left} 次；連續輸入錯誤 10 次將暫停綁定一小時。\n{ASK_FOR_NEW_CODE}",
        quick=common.MENU_BY_ROLE[""],
    )


def locked() -> dict:
    """Too many wrong codes: binding is locked for an hour (a correct code is refused too)."""
    return common.text(
        "輸入錯誤的綁定碼太多次，此 LINE 帳號已暫停綁定一小時，請稍後再試。\n" + ASK_FOR_NEW_CODE,
        quick=common.MENU_BY_ROLE[""],
    )


def malformed_code() -> dict:
    """Something after 綁定 that cannot be a code (no try is counted)."""
    return common.text(f"看不懂這組綁定碼。{CODE_FORMAT}", quick=common.MENU_BY_ROLE[""])


def already_bound(person: Person | None, seat: int | None = None) -> dict:
    """This LINE account is bound already: to whom, and how to unbind."""
    who = describe(person, seat) if person else "其他身分"
    quick = [UNBIND_COMMAND, *common.menu_labels(person.roles if person else [])]
    return common.text(
        f"此 LINE 帳號已綁定 {who}。\n若要改綁其他身分，請先輸入「{UNBIND_COMMAND}」，再傳送新的綁定碼。",
        quick=quick,
    )


def confirm_unbind(person: Person | None, binding_id: int, seat: int | None = None) -> dict:
    """Ask before unbinding: a confirm template with two postback buttons."""
    who = describe(person, seat) if person else "目前的身分"
    return {
        "type": "template",
        "altText": f"確定要解除綁定 {who}嗎？",
        "template": {
            "type": "confirm",
            "text": f"確定要解除綁定 {who}嗎？\n解除後需要新的綁定碼才能再綁定。",
            "actions": [
                common.postback_action("解除綁定", f"a={UNBIND_ACTION}&b={binding_id}", "確定解除綁定"),
                common.postback_action("取消", f"a={UNBIND_CANCEL_ACTION}", "取消"),
            ],
        },
    }


def unbound() -> dict:
    """Unbinding done; what an unbound user can still do."""
    return common.text(
        "已解除綁定。此 LINE 帳號不會再收到學習歷程的提醒。\n"
        "日後要再使用，請向導師或註冊組索取新的綁定碼。",
        quick=common.MENU_BY_ROLE[""],
    )


def unbind_cancelled(roles) -> dict:
    return common.menu(roles, "已取消，綁定維持不變。\n" + texts.MENU_TITLE)


def unbind_expired() -> dict:
    """A confirm button left over from an earlier binding."""
    return common.text(f"這個確認按鈕已失效。如要解除綁定，請重新輸入「{UNBIND_COMMAND}」。",
                       quick=[UNBIND_COMMAND, c.MENU.label])


def not_bound() -> dict:
    return common.text("此 LINE 帳號目前沒有綁定任何身分。\n\n" + texts.HOW_TO_BIND, quick=common.MENU_BY_ROLE[""])
