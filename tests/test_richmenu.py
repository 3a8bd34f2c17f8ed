"""Rich menus against the LINE stand-in: deploy (drawn with a CJK font), default, links by role, re-link on bind."""
from __future__ import annotations

import io
import os

import pytest
from click.testing import CliRunner
from PIL import Image
from sqlalchemy import select

from bot.cli import main
from bot.domain import richmenu
from bot.infra.models import RichMenu
from bot.infra.vocab import Duty
from tests import factories as f
from tests.helpers import TOKEN, texts_of



@pytest.fixture
def short_font(tmp_path) -> str:
    """A font that draws only 說明 (cut from the shipped one): not enough for the menus."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    from bot.infra.fonts import MENU_FONT

    font = TTFont(MENU_FONT)
    subsetter = subset.Subsetter()
    subsetter.populate(text="說明")
    subsetter.subset(font)
    path = tmp_path / "short.otf"
    font.save(path)
    return str(path)


@pytest.fixture
def people(db):
    with db.session() as s:
        c101 = f.school_class(s, "101")
        f.bind(s, f.student(s, c101, name="學生甲"), f.line_user_id("stu"))
        f.bind(s, f.student(s, c101, name="轉出", enrolled=False), f.line_user_id("left"))
        f.bind(s, f.teacher(s, name="任課", teacher_no="T-tea"), f.line_user_id("tea"))
        f.bind(s, f.teacher(s, name="導師", homeroom=c101), f.line_user_id("home"))
        f.bind(s, f.teacher(s, name="註冊組長", homeroom=c101, duties=[Duty.registry]), f.line_user_id("staff"))
        f.bind(s, f.teacher(s, name="教學組長", duties=[Duty.subject_teacher, Duty.academic]),
               f.line_user_id("staff-teach"))
        unbound = f.student(s, c101, name="未綁定")
        return {"code": f.code_for(s, unbound)}


def _by_name(line_api) -> dict[str, str]:
    return {body["name"].split()[-1]: rid for rid, body in line_api.rich_menus.items()}


def test_deploy_creates_one_menu_per_role_and_links_everyone(services, line_api, people, db):
    results = richmenu.deploy(services)
    assert [r.role for r in results] == ["guest", "student", "teacher", "homeroom", "staff", "office"]
    assert all(r.created for r in results)
    ids = _by_name(line_api)
    assert set(ids) == {"guest", "student", "teacher", "homeroom", "staff", "office"}
    assert "待認證" not in [a["action"]["text"] for a in line_api.rich_menus[ids["office"]]["areas"]]
    # every request was valid for LINE's spec (the stand-in validates) and images went to the data API
    assert all(r.status in (200, 202) for r in line_api.requests), [(r.path, r.status) for r in line_api.requests]
    for role, rid in ids.items():
        kind, image = line_api.rich_menu_images[rid]
        with Image.open(io.BytesIO(image)) as drawn:
            size = line_api.rich_menus[rid]["size"]
            assert drawn.size == (size["width"], size["height"])
            assert len(drawn.convert("L").getcolors(1_000_000)) > 10  # labels drawn, not a blank tile
        assert len(image) <= 1024 * 1024 and kind == "image/png"
        labels = [a["action"]["text"] for a in line_api.rich_menus[rid]["areas"]]
        assert tuple(labels) == richmenu.words.BUTTONS[role]
    assert "收訖明細" in [a["action"]["text"] for a in line_api.rich_menus[ids["student"]]["areas"]]
    assert line_api.default_rich_menu == ids["guest"]
    assert line_api.rich_menu_links == {
        f.line_user_id("stu"): ids["student"], f.line_user_id("tea"): ids["teacher"],
        f.line_user_id("home"): ids["homeroom"], f.line_user_id("staff-teach"): ids["staff"],
        f.line_user_id("staff"): ids["office"],  # 註冊組 teaching nothing: no 待認證 on the menu
    }  # nobody who left school
    with db.session() as s:
        assert {r.role: r.rich_menu_id for r in s.scalars(select(RichMenu))} == ids


def test_redeploy_keeps_unchanged_menus_and_force_replaces_them(services, line_api, people):
    first = {r.role: r.rich_menu_id for r in richmenu.deploy(services)}
    creates = len(line_api.calls("richmenu"))
    again = richmenu.deploy(services)
    assert not any(r.created for r in again)
    assert len(line_api.calls("richmenu")) == creates
    forced = {r.role: r.rich_menu_id for r in richmenu.deploy(services, force=True)}
    assert set(forced.values()).isdisjoint(first.values())
    assert set(line_api.rich_menus) == set(forced.values())  # the replaced ones were deleted
    assert line_api.rich_menu_links[f.line_user_id("stu")] == forced["student"]


def test_binding_and_unbinding_link_the_right_menu(services, line_api, people, chat):
    ids = {r.role: r.rich_menu_id for r in richmenu.deploy(services)}
    newcomer = chat(f.line_user_id("new"))
    assert "綁定成功" in texts_of(newcomer.say(people["code"]))
    assert line_api.rich_menu_links[f.line_user_id("new")] == ids["student"]
    newcomer.say("解除綁定")
    newcomer.tap(next(a["data"] for a in line_api.sent_to(f.line_user_id("new"))[-1].messages[0]["template"]["actions"]
                      if a["data"].startswith("a=unbind&")))
    assert f.line_user_id("new") not in line_api.rich_menu_links  # back to the default (guest) menu


def test_a_role_change_is_linked_again(services, line_api, people, db):
    ids = {r.role: r.rich_menu_id for r in richmenu.deploy(services)}
    from bot.infra.models import Teacher
    with db.session() as s:
        s.scalars(select(Teacher).where(Teacher.name == "任課")).one().homeroom_class_id = \
            f.school_class(s, "102").id
    assert richmenu.relink_everyone(services)["homeroom"] == 2
    assert line_api.rich_menu_links[f.line_user_id("tea")] == ids["homeroom"]
    assert richmenu.link_user(services, f.line_user_id("tea")) == "homeroom"


def test_binding_without_deployed_menus_links_nothing(services, line_api, people, chat):
    assert "綁定成功" in texts_of(chat(f.line_user_id("new")).say(people["code"]))
    assert line_api.rich_menu_links == {} and line_api.calls("richmenu") == []


def test_the_shipped_font_has_a_glyph_for_every_label():
    """The menus are drawn with the font shipped in bot/infra/fonts, whatever the host has installed."""
    from fontTools.ttLib import TTFont

    from bot.infra.fonts import MENU_FONT

    cmap = TTFont(MENU_FONT).getBestCmap()
    labels = [label for role in richmenu.ROLES for label in richmenu.words.BUTTONS[role]]
    lacking = {label: [ch for ch in label if ord(ch) not in cmap] for label in labels}
    assert not any(lacking.values()), f"remake bot/infra/fonts/menu.otf (python tools/subset_fonts.py): {lacking}"
    assert richmenu.find_cjk_font() == str(MENU_FONT)
    assert MENU_FONT.stat().st_size < 64 * 1024  # a subset, not the whole CJK font
    assert "SIL OPEN FONT LICENSE" in (MENU_FONT.parent / "OFL.txt").read_text(encoding="utf-8")


def test_a_label_the_font_cannot_draw_fails_clearly_before_calling_line(services, line_api, monkeypatch):
    buttons = dict(richmenu.words.BUTTONS, student=("我的進度", "龘"))  # 龘 is not in the shipped subset
    monkeypatch.setattr(richmenu.words, "BUTTONS", buttons)
    with pytest.raises(richmenu.RichMenuError, match="缺少「龘」") as refused:
        richmenu.deploy(services)
    assert "python tools/subset_fonts.py" in str(refused.value)
    assert line_api.requests == []


def test_a_font_given_with_font_is_used_or_refused(services, line_api, tmp_path, short_font):
    from bot.infra.fonts import MENU_FONT

    with pytest.raises(richmenu.RichMenuError, match="無法顯示中文選單：缺少「.*我.*」"):
        richmenu.deploy(services, font=short_font)
    with pytest.raises(richmenu.RichMenuError, match="找不到字型檔"):
        richmenu.deploy(services, font="/nowhere/font.ttf")
    (tmp_path / "broken.ttf").write_bytes(b"not a font")
    with pytest.raises(richmenu.RichMenuError, match="無法讀取"):
        richmenu.deploy(services, font=str(tmp_path / "broken.ttf"))
    assert line_api.requests == []
    copy = tmp_path / "my-font.otf"
    copy.write_bytes(MENU_FONT.read_bytes())
    assert richmenu.find_cjk_font(str(copy)) == str(copy)


@pytest.fixture
def cli_env(migrated, line_api_server):
    _, url = line_api_server
    return {"DATABASE_URL": migrated, "LINE_API_BASE": url, "LINE_DATA_API_BASE": url,
            "LINE_CHANNEL_ACCESS_TOKEN": TOKEN, "LINE_CHANNEL_SECRET": "x",
            "REDIS_URL": os.environ.get("REDIS_URL", "")}


def test_cli_deploy_and_link(cli_env, line_api, people, db, short_font):
    run = CliRunner().invoke(main, ["richmenu", "deploy"], env=cli_env, catch_exceptions=False)
    assert run.exit_code == 0, run.output
    assert "學生：已建立 richmenu-" in run.output and "連結 1 人" in run.output
    assert "未綁定（預設）：已建立" in run.output and "設為預設選單" in run.output
    again = CliRunner().invoke(main, ["richmenu", "deploy"], env=cli_env, catch_exceptions=False)
    assert "未變更，沿用" in again.output
    linked = CliRunner().invoke(main, ["richmenu", "link"], env=cli_env, catch_exceptions=False)
    assert "學生 1 人" in linked.output and "行政 1 人" in linked.output and "行政（未任課） 1 人" in linked.output
    bad = CliRunner().invoke(main, ["richmenu", "deploy", "--font", short_font], env=cli_env)
    assert bad.exit_code != 0 and "無法顯示中文" in bad.output


def test_an_import_that_changes_roles_relinks(cli_env, services, line_api, people, tmp_path):
    ids = {r.role: r.rich_menu_id for r in richmenu.deploy(services)}
    assert line_api.rich_menu_links[f.line_user_id("tea")] == ids["teacher"]
    roster = tmp_path / "teachers.csv"
    roster.write_text("教師編號,姓名,導師班級,職務\nT-tea,任課,101,任課教師;訓育組\n", encoding="utf-8")
    run = CliRunner().invoke(main, ["import", str(roster)], env=cli_env, catch_exceptions=False)
    assert run.exit_code == 0, run.output
    assert "已依新的身分重新連結圖文選單" in run.output
    assert line_api.rich_menu_links[f.line_user_id("tea")] == ids["staff"]


def test_the_demo_deploys_menus_and_the_simulator_shows_each_person_theirs(tmp_path):
    import requests

    from bot.demo import start_demo
    from bot.demo.school import STAFF, STUDENTS

    running = start_demo("127.0.0.1", 0, tmp_path / "demo.sqlite3")
    try:
        def menu(user_id: str, have: str = "") -> dict | None:
            got = requests.get(f"{running.simulator_url}/api/richmenu",
                               params={"user_id": user_id, "have": have}, timeout=10)
            assert got.status_code == 200
            return got.json()["rich_menu"]

        student = next(p for p in running.demo.in_group(STUDENTS) if not p.code)
        shown = menu(student.user_id)
        assert [a["action"]["text"] for a in shown["areas"]] == list(richmenu.words.BUTTONS["student"])
        assert shown["image"].startswith("data:image/png;base64,") and shown["chatBarText"] == "選單"
        assert "image" not in menu(student.user_id, have=shown["id"])  # the page keeps what it has
        staff = menu(running.demo.in_group(STAFF)[0].user_id)
        assert [a["action"]["text"] for a in staff["areas"]][0] == "統計"
        stranger = menu(running.demo.stranger.user_id)  # not bound: the default menu
        assert [a["action"]["text"] for a in stranger["areas"]] == ["綁定說明", "說明"]
        page = requests.get(running.simulator_url + "/", timeout=5).text
        assert 'id="rich-menu"' in page and "richmenu.js" in page
        assert requests.get(running.simulator_url + "/static/richmenu.js", timeout=5).status_code == 200
    finally:
        running.stop()


def test_a_refused_image_leaves_no_half_made_menu(services, line_api, people, db, monkeypatch):
    from linebot.v3.messaging.exceptions import ApiException

    first = {r.role: r.rich_menu_id for r in richmenu.deploy(services)}
    real_draw = richmenu.draw
    # an image of the wrong size (LINE refuses it: it must match the menu's size)
    monkeypatch.setattr(richmenu, "draw", lambda role, font: real_draw("guest" if role == "student" else role, font))
    with pytest.raises(ApiException) as refused:
        richmenu.deploy(services, force=True)
    assert refused.value.status == 400
    # all or nothing: the menus made in this run were deleted at LINE, the earlier ones stay in use
    with db.session() as s:
        assert {r.role: r.rich_menu_id for r in s.scalars(select(RichMenu))} == first
    assert set(line_api.rich_menus) == set(first.values())
    assert line_api.default_rich_menu == first["guest"]
    assert line_api.rich_menu_links[f.line_user_id("stu")] == first["student"]
