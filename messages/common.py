"""Small builders every intent uses: text with quick replies, the menu, and stock answers."""
from __future__ import annotations

from typing import Iterable

from bot.infra.config import SchoolRules
from bot.infra.vocab import ENROLMENT_LABELS, Enrolment
from messages import commands as c
from messages import texts

# Labels of quick-reply buttons are at most 20 characters (LINE's limit).
MENU_BY_ROLE: dict[str, list[str]] = {
    "": [c.BIND_HELP.label, c.HELP.label],
    "student": [c.STATUS.label, c.DEADLINES.label, c.RECEIPTS.label, c.SETTINGS.label, c.HELP.label],
    "teacher": [c.PENDING.label, c.SETTINGS.label, c.HELP.label],
    "homeroom": [c.CLASS_LISTS.label],
    "staff": [c.STATS.label, c.CONSOLE.label, c.SETTINGS.label, c.HELP.label],
}


def message_action(label: str, text: str | None = None) -> dict:
    return {"type": "message", "label": label[:20], "text": text or label}


def postback_action(label: str, data: str, display_text: str | None = None) -> dict:
    action = {"type": "postback", "label": label[:20], "data": data}
    if display_text:
        action["displayText"] = display_text
    return action


def quick_reply(actions: Iterable[dict]) -> dict:
    return {"items": [{"type": "action", "action": a} for a in list(actions)[:13]]}


def text(body: str, quick: Iterable[str] | None = None) -> dict:
    """A text message, optionally with quick-reply buttons that send their own label."""
    message: dict = {"type": "text", "text": body}
    if quick:
        message["quickReply"] = quick_reply(message_action(label) for label in quick)
    return message


def menu_labels(roles: Iterable[str]) -> list[str]:
    labels: list[str] = []
    roles = list(roles) or [""]
    for role in ["student", "teacher", "homeroom", "staff", ""]:
        if role in roles:
            labels += [label for label in MENU_BY_ROLE[role] if label not in labels]
    if c.HELP.label in labels:  # help last
        labels.remove(c.HELP.label)
        labels.append(c.HELP.label)
    return labels


def menu(roles: Iterable[str], intro: str = texts.MENU_TITLE) -> dict:
    return text(intro, quick=menu_labels(roles))


def welcome_back(name: str, roles: Iterable[str]) -> dict:
    """A bound person follows the bot again (after blocking it)."""
    return menu(roles, f"{name}，歡迎回來！{texts.MENU_TITLE}")


def please_bind() -> dict:
    return text(texts.HOW_TO_BIND, quick=MENU_BY_ROLE[""])


def not_for_your_role(student: bool = False) -> dict:
    """A bound person asked for another role's feature (students are 你, teachers 您)."""
    return text(texts.NOT_FOR_STUDENTS if student else texts.NOT_FOR_YOUR_ROLE, quick=[c.MENU.label])


def not_enrolled(enrolment: Enrolment) -> dict:
    """A bound student who is no longer 在學: their status, that the bot stops, whom to ask."""
    return text(texts.NOT_ENROLLED.format(status=ENROLMENT_LABELS[enrolment]), quick=[c.UNBIND.label])


def try_again_later() -> dict:
    return text(texts.TRY_AGAIN_LATER)


def _faq_quick(roles: Iterable[str]) -> dict:
    """The FAQ's topics (each sends 說明 <topic>), then the person's menu."""
    topics = [message_action(topic, f"說明 {topic}") for topic in texts.FAQ_TOPICS]
    return quick_reply(topics + [message_action(label) for label in menu_labels(roles)])


def faq(roles: Iterable[str], school: SchoolRules = SchoolRules()) -> dict:
    """The FAQ, with the school's own limits (``school``)."""
    return {"type": "text", "text": texts.school_numbers(texts.FAQ, school), "quickReply": _faq_quick(roles)}


def faq_topic(words: str, roles: Iterable[str], school: SchoolRules = SchoolRules()) -> dict:
    """說明 <topic>: the topic's details (by its name or any of its words), or the list of topics."""
    for topic, (aliases, body) in texts.FAQ_TOPICS.items():
        if words == topic or words in aliases:
            return {"type": "text", "text": texts.school_numbers(body, school), "quickReply": _faq_quick(roles)}
    return {"type": "text", "text": texts.FAQ_TOPIC_UNKNOWN, "quickReply": _faq_quick(roles)}


def unknown_input(roles: Iterable[str]) -> dict:
    return menu(roles, texts.UNKNOWN_INPUT)
