"""Rich menus: one per role (plus the default one for people not bound yet), drawn with Pillow.

`deploy` draws each menu's image with the CJK font shipped in ``bot/infra/fonts`` (or ``--font``), creates the menu at
LINE, uploads the image (LINE's data API), records it in ``rich_menu``, makes the guest menu
the default, links every bound person to their role's menu (bulk, 500 a request) and deletes
the menus it replaced. A menu whose definition and image are unchanged is kept as is.
`link_user` links one LINE account to the right menu: after binding, unbinding, or a change
of role. Only the sender talks to LINE.
"""
from __future__ import annotations

import hashlib
import io
import json
import logging
import os
from dataclasses import dataclass

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from bot.domain.people import STAFF, TEACHER, Person, load_person, teaches
from bot.infra.fonts import MENU_FONT
from bot.infra.models import LineBinding, RichMenu, Student, Teacher, TeacherDuty
from bot.infra.vocab import STAFF_DUTIES, PersonKind
from messages import richmenu as words

log = logging.getLogger(__name__)

WIDTH = 2500
FULL_HEIGHT, HALF_HEIGHT = 1686, 843
MAX_IMAGE_BYTES = 1024 * 1024
ROLES = (words.GUEST, words.STUDENT, words.TEACHER, words.HOMEROOM, words.STAFF, words.OFFICE)
TILE_COLOURS = ("#1B5E20", "#2E7D32", "#388E3C", "#43A047", "#00796B", "#00897B")


class RichMenuError(RuntimeError):
    """A rich menu cannot be made (e.g. no CJK font); the message is for people (zh-TW)."""


# -- which menu ---------------------------------------------------------------------
def role_of(person: Person | None) -> str:
    """The menu a person gets: staff > homeroom > teacher > student; guest when unbound (or no longer 在學).
    Staff who teach nothing get the office's menu, without 待認證."""
    if person is None or not person.enrolled:
        return words.GUEST
    if STAFF in person.roles and TEACHER not in person.roles:
        return words.OFFICE
    for role in (words.STAFF, words.HOMEROOM, words.TEACHER, words.STUDENT):
        if role in person.roles:
            return role
    return words.GUEST


# -- drawing --------------------------------------------------------------------------
def find_cjk_font(explicit: str | None = None) -> str:
    """The font the menus are drawn with: ``explicit`` (``--font``) if given, else the one shipped.

    Either must draw every character of every label; otherwise nothing is drawn and the
    error names what is missing (the operator's choice is used or refused, never replaced).
    """
    from PIL import ImageFont

    path = explicit or str(MENU_FONT)
    if not os.path.exists(path):
        raise RichMenuError(words.font_not_found(path))
    try:
        font = ImageFont.truetype(path, 40)
    except OSError:
        raise RichMenuError(words.font_unreadable(path)) from None
    missing = missing_glyphs(font, words.drawn_text())
    if missing:
        raise RichMenuError(words.font_lacks(path, missing))
    return path


def missing_glyphs(font, text: str) -> str:
    """The characters of ``text`` that ``font`` draws as nothing or as its 'tofu' box (.notdef)."""
    from PIL import Image, ImageDraw

    def ink(ch: str) -> bytes:
        image = Image.new("L", (80, 80), 0)
        ImageDraw.Draw(image).text((10, 10), ch, font=font, fill=255)
        return image.tobytes()

    tofu = ink("\U0010FFFD")  # a private-use code point no font draws
    return "".join(ch for ch in text if not ch.isspace() and (not any(drawn := ink(ch)) or drawn == tofu))


def layout(count: int) -> tuple[int, int, int]:
    """(height, rows, columns) for ``count`` buttons."""
    if count <= 3:
        return HALF_HEIGHT, 1, count
    if count == 4:
        return FULL_HEIGHT, 2, 2
    return FULL_HEIGHT, 2, 3


def _cells(count: int) -> list[tuple[int, int, int, int]]:
    height, rows, cols = layout(count)
    cells = []
    for index in range(count):
        r, c = divmod(index, cols)
        x0, x1 = WIDTH * c // cols, WIDTH * (c + 1) // cols
        y0, y1 = height * r // rows, height * (r + 1) // rows
        cells.append((x0, y0, x1 - x0, y1 - y0))
    return cells


def draw(role: str, font_path: str) -> bytes:
    """The menu's image: one coloured tile per button with its label; PNG (JPEG if over 1 MB)."""
    from PIL import Image, ImageDraw, ImageFont

    labels = words.BUTTONS[role]
    height, _, _ = layout(len(labels))
    image = Image.new("RGB", (WIDTH, height), "#FFFFFF")
    pen = ImageDraw.Draw(image)
    for index, ((x, y, w, h), label) in enumerate(zip(_cells(len(labels)), labels)):
        pen.rectangle([x + 6, y + 6, x + w - 7, y + h - 7], fill=TILE_COLOURS[index % len(TILE_COLOURS)])
        size = min(170, int(w * 0.8 / max(len(label), 1)), int(h * 0.4))
        font = ImageFont.truetype(font_path, size)
        left, top, right, bottom = pen.textbbox((0, 0), label, font=font)
        pen.text((x + (w - (right - left)) / 2 - left, y + (h - (bottom - top)) / 2 - top), label,
                 font=font, fill="#FFFFFF")
    out = io.BytesIO()
    image.save(out, format="PNG")
    if out.tell() > MAX_IMAGE_BYTES:
        out = io.BytesIO()
        image.save(out, format="JPEG", quality=85)
    return out.getvalue()


def content_type(image: bytes) -> str:
    return "image/png" if image.startswith(b"\x89PNG") else "image/jpeg"


def definition(role: str) -> dict:
    """The rich menu object LINE gets: size, chat bar text, one message action per tile."""
    labels = words.BUTTONS[role]
    height, _, _ = layout(len(labels))
    return {
        "size": {"width": WIDTH, "height": height},
        "selected": role != words.GUEST,
        "name": f"portfolio-bot {role}",
        "chatBarText": words.CHAT_BAR_TEXT,
        "areas": [{"bounds": {"x": x, "y": y, "width": w, "height": h},
                   "action": {"type": "message", "label": label, "text": label}}
                  for (x, y, w, h), label in zip(_cells(len(labels)), labels)],
    }


def fingerprint(role: str, image: bytes) -> str:
    """What decides whether a deployed menu is still current: its definition and its image."""
    digest = hashlib.sha256(json.dumps(definition(role), sort_keys=True, ensure_ascii=False).encode())
    digest.update(image)
    return digest.hexdigest()


# -- deploying and linking ------------------------------------------------------------
@dataclass(frozen=True)
class Deployed:
    role: str
    rich_menu_id: str
    created: bool      # False: unchanged, kept
    linked: int = 0    # people linked to it


def bound_by_role(session: Session) -> dict[str, list[str]]:
    """Every bound, reachable LINE account grouped by the menu it should have (two queries)."""
    groups: dict[str, list[str]] = {role: [] for role in ROLES}
    active = (LineBinding.unbound_at.is_(None), LineBinding.blocked.is_(False))
    groups[words.STUDENT] = list(session.scalars(
        select(LineBinding.line_user_id).join(Student, Student.id == LineBinding.person_id)
        .where(LineBinding.person_kind == PersonKind.student, Student.enrolled, *active)
        .order_by(LineBinding.line_user_id)))
    staff = exists().where(TeacherDuty.teacher_id == Teacher.id, TeacherDuty.duty.in_(list(STAFF_DUTIES)))
    for user_id, homeroom, is_staff, teaching in session.execute(
            select(LineBinding.line_user_id, Teacher.homeroom_class_id, staff, teaches(Teacher.id))
            .join(Teacher, Teacher.id == LineBinding.person_id)
            .where(LineBinding.person_kind == PersonKind.teacher, *active).order_by(LineBinding.line_user_id)):
        role = ((words.STAFF if teaching else words.OFFICE) if is_staff
                else words.HOMEROOM if homeroom is not None else words.TEACHER)
        groups[role].append(user_id)
    return groups


def deploy(services, font: str | None = None, force: bool = False) -> list[Deployed]:
    """Create (or keep) every role's menu, set the default, link everyone, delete replaced menus.

    All or nothing: if LINE refuses any step of making the menus, the ones made in this run are
    deleted at LINE, ``rich_menu`` is left as it was, and the earlier menus stay in use.
    """
    font_path = find_cjk_font(font)  # before anything reaches LINE
    images = {role: draw(role, font_path) for role in ROLES}
    sender = services.sender
    results: list[Deployed] = []
    replaced: list[str] = []
    made: list[str] = []
    try:
        with services.db.session() as session:
            for role in ROLES:
                image, digest = images[role], fingerprint(role, images[role])
                row = session.get(RichMenu, role)
                if row is not None and row.image_sha256 == digest and not force:
                    results.append(Deployed(role, row.rich_menu_id, created=False))
                    continue
                rich_menu_id = sender.create_rich_menu(definition(role))
                made.append(rich_menu_id)
                sender.upload_rich_menu_image(rich_menu_id, image, content_type(image))
                if row is None:
                    session.add(RichMenu(role=role, rich_menu_id=rich_menu_id, image_sha256=digest,
                                         deployed_at=services.clock()))
                else:
                    replaced.append(row.rich_menu_id)
                    row.rich_menu_id, row.image_sha256, row.deployed_at = rich_menu_id, digest, services.clock()
                session.flush()
                results.append(Deployed(role, rich_menu_id, created=True))
            ids = {r.role: r.rich_menu_id for r in results}
            groups = bound_by_role(session)
    except Exception:
        for rich_menu_id in made:  # leave no half-made menus at LINE
            _delete_quietly(sender, rich_menu_id)
        raise
    sender.set_default_rich_menu(ids[words.GUEST])
    linked = {}
    for role, users in groups.items():
        if users and role != words.GUEST:
            sender.link_rich_menu_to_users(users, ids[role])
        linked[role] = len(users)
    for old in replaced:
        _delete_quietly(sender, old)
    return [Deployed(r.role, r.rich_menu_id, r.created, linked.get(r.role, 0)) for r in results]


def _delete_quietly(sender, rich_menu_id: str) -> None:
    try:
        sender.delete_rich_menu(rich_menu_id)
    except Exception as exc:  # already gone at LINE: nothing to clean up
        log.warning("could not delete rich menu %s: %s", rich_menu_id, type(exc).__name__)


def link_user(services, line_user_id: str | None) -> str | None:
    """Link one LINE account to its role's menu (or unlink it back to the default when unbound).

    Returns the role linked; None when nothing was done (no menus deployed, or LINE refused).
    """
    if not line_user_id:
        return None
    with services.db.session() as session:
        role = role_of(load_person(session, line_user_id))
        row = session.get(RichMenu, role)
        rich_menu_id = row.rich_menu_id if row is not None else None
    if rich_menu_id is None:
        return None
    try:
        if role == words.GUEST:
            services.sender.unlink_rich_menu(line_user_id)
        else:
            services.sender.link_rich_menu(line_user_id, rich_menu_id)
    except Exception as exc:
        log.warning("rich menu link failed: %s", type(exc).__name__)
        return None
    return role


def relink_everyone(services) -> dict[str, int]:
    """After imports changed roles: link every bound person to their role's menu; counts per role."""
    with services.db.session() as session:
        ids = {row.role: row.rich_menu_id for row in session.scalars(select(RichMenu))}
        groups = bound_by_role(session)
    if not ids:
        return {}
    counts = {}
    for role, users in groups.items():
        if users and role in ids and role != words.GUEST:
            services.sender.link_rich_menu_to_users(users, ids[role])
            counts[role] = len(users)
    return counts


ROLE_KINDS = ("teachers", "students")  # imports that can change someone's menu (導師班級, 職務, 在學)


def relink_after_import(services, kinds: set[str]) -> str | None:
    """After an import of people: re-link everyone if menus are deployed; a line for the console, or None."""
    if not kinds & set(ROLE_KINDS) or not services.settings.channel_access_token:
        return None
    with services.db.session() as session:
        deployed = session.scalar(select(RichMenu.role).limit(1)) is not None
    if not deployed:
        return None
    try:
        counts = relink_everyone(services)
    except Exception as exc:  # the import itself is done; linking can be redone with `richmenu link`
        log.warning("re-linking rich menus after an import failed: %s", type(exc).__name__)
        return "圖文選單未能重新連結（可稍後執行 portfolio-bot richmenu link）。"
    return f"已依新的身分重新連結圖文選單：{sum(counts.values())} 人。"
