"""`portfolio-bot --help`, and every command's, in one language: zh-TW (issue #13). click's own words
too (用法, 選項, 指令, 顯示這份說明並結束。), with the help column lined up as a terminal shows it."""
from __future__ import annotations

import re
import unicodedata

import click
import pytest
from click.testing import CliRunner

from bot.cli import main

CJK = re.compile(r"[\u3400-\u9fff]")
PROSE = re.compile(r"\b[a-z]{2,} [a-z]{2,} [a-z]{2,}\b")  # three lowercase English words in a row
COMMAND_LINE = re.compile(r"portfolio-bot(?: [a-z-]+)*")  # a command named in the help is not prose
CLICK_ENGLISH = ("Usage:", "Options:", "Commands:", "Show this message and exit.", "[required]", "default:",
                 "[OPTIONS]", "COMMAND [ARGS]")


def command_paths(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = []
    for name, command in sorted(group.commands.items()):
        paths.append(prefix + (name,))
        if isinstance(command, click.Group):
            paths += command_paths(command, prefix + (name,))
    return paths


PATHS = [()] + command_paths(main)


def help_of(*path: str) -> str:
    result = CliRunner().invoke(main, [*path, "--help"], prog_name="portfolio-bot", terminal_width=80)
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output


def section(text: str, heading: str) -> list[str]:
    """The lines under ``heading``（選項：/指令：) up to the next blank line."""
    lines = text.splitlines()
    if heading not in lines:
        return []
    start = lines.index(heading) + 1
    end = next((i for i in range(start, len(lines)) if not lines[i].strip()), len(lines))
    return lines[start:end]


def entries(lines: list[str]) -> list[tuple[str, str]]:
    """(term, description) per entry; a wrapped description's continuation lines joined on."""
    found: list[list[str]] = []
    for line in lines:
        if line.startswith("  ") and not line.startswith("   "):
            term, _, text = line.strip().partition("  ")
            found.append([term, text.strip()])
        else:
            found[-1][1] += line.strip()
    return [(term, text) for term, text in found]


def columns(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "portfolio-bot")
def test_every_help_page_is_zh_tw(path):
    text = help_of(*path)
    assert text.startswith("用法：portfolio-bot"), text
    assert not [word for word in CLICK_ENGLISH if word in text], text
    prose = [line for line in text.splitlines() if PROSE.search(COMMAND_LINE.sub("", line))]
    assert not prose, prose
    description = text.splitlines()[2]
    assert CJK.search(description), description
    options = entries(section(text, "選項："))
    assert ("-h, --help", "顯示這份說明並結束。") in options
    assert all(CJK.search(help_text) for _, help_text in options), options
    for name, help_text in entries(section(text, "指令：")):
        assert CJK.search(help_text) and not help_text.endswith("..."), (name, help_text)


def test_the_command_listing():
    assert len(PATHS) > 20 and ("teacher", "unavailable") in PATHS and ("demo",) in PATHS  # all pages are read
    text = help_of()
    assert "  -h, --help  顯示這份說明並結束。" in text.splitlines()
    assert CliRunner().invoke(main, ["-h"], prog_name="portfolio-bot", terminal_width=80).output == text
    assert {"  codes         為尚未綁定的人產生一次性綁定碼與綁定連結，寫入 CSV 檔。",
            "  db            資料庫：建立或更新資料表。",
            "  demo          在本機執行示範學校與 LINE 模擬器。",
            "  remind        執行一次提醒掃描，列出各規則與階段提醒的人數與計費訊息數。",
            "  stats         各班的認證率、勾選率、收訖明細確認率，以及教師的認證天數。",
            "  teacher       教師請假，以及請假期間由誰代理認證。",
            "  worker        執行排程：定時提醒、重送訊息、逾期視為確認、刪除過期資料。",
            } <= set(text.splitlines())
    assert "  upgrade  建立或更新資料庫結構（Alembic）。" in help_of("db").splitlines()
    assert "  unavailable  登記教師請假；其課程的待認證項目轉給第一位可代理的教師。" in help_of("teacher").splitlines()
    assert "  resolve  記錄這筆疑義（編號）的處理結果，並用 LINE 通知學生。" in help_of("objections").splitlines()


def test_option_help_is_lined_up_and_wrapped_as_the_terminal_shows_it():
    text = help_of("codes")
    assert "用法：portfolio-bot codes [選項]" in text.splitlines()
    options = section(text, "選項：")
    starts = set()
    for line in options:
        body = line.lstrip(" ")
        if line.startswith("  -"):
            term, _, rest = body.partition("  ")
            starts.add(2 + columns(term) + len(rest) - len(rest.lstrip(" ")) + 2)
        else:
            starts.add(len(line) - len(body))
        assert columns(line) <= 80, line
    assert len(options) > 5, options  # wrapped: --role's and --class's help take two lines each
    assert len(starts) == 1, options
    assert options[4:6] == ["  --out 檔案.csv            輸出的 CSV 檔（UTF-8 with BOM，可直接用 Excel 開",
                            "                            啟）。［必填］"]
