"""`portfolio-bot --help` in one language, zh-TW: click's own words (Usage, Options, Commands,
"Show this message and exit.", [required], [default: …]) said the way a Taiwanese school's office
reads them. Every command of the CLI is a ``ZhCommand`` (groups: ``ZhGroup``, whose subcommands and
subgroups are made zh-TW too); the commands' and options' own help texts are written in zh-TW where
they are defined. Columns are measured as a terminal shows them (a CJK character takes two), and
zh-TW text wraps between any two characters, never before closing punctuation (，。）).
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from typing import Any

import click

HELP_OPTION_HELP = "顯示這份說明並結束。"
HEADINGS = {"Options": "選項", "Commands": "指令", "Positional arguments": "引數"}
USAGE_PREFIX = "用法："
OPTIONS_METAVAR = "[選項]"
SUBCOMMAND_METAVAR = "指令 [引數]..."
_EXTRA = re.compile(r"^(?P<help>.*?)\s*\[(?P<extra>[^\[\]]*)\]$", re.DOTALL)  # click's "help  [default: x; required]"
_EXTRA_WORDS = (("required", "必填"), ("default: ", "預設："), ("env var: ", "環境變數："))
_RANGE = re.compile(r"^(?P<low>-?\d+)<=x<=(?P<high>-?\d+)$")  # click.IntRange(1, 60): "1<=x<=60"
NO_LINE_START = frozenset("，。、；：！？）」』］")
NO_LINE_END = frozenset("（「『［")


def wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in "WF"


def columns(text: str) -> int:
    """How many terminal columns ``text`` takes: East Asian wide and fullwidth characters two."""
    return sum(2 if wide(c) else 1 for c in text)


def _tokens(text: str) -> Iterator[str]:
    """Latin words whole; spaces and wide characters one by one."""
    word = ""
    for char in text:
        if char == " " or wide(char):
            if word:
                yield word
                word = ""
            yield char
        else:
            word += char
    if word:
        yield word


def wrap(text: str, width: int) -> list[str]:
    """``text`` (runs of whitespace read as one space) in lines of at most ``width`` columns, where a
    single word allows; broken at a space or between wide characters, never before ，。） nor after （「."""
    lines: list[list[str]] = [[]]
    for token in _tokens(" ".join(text.split())):
        line = lines[-1]
        if token == " ":
            if line:
                line.append(token)
        elif line and columns("".join(line) + token) > width:
            cut = _cut(line, token)
            lines.append(line[cut:] + [token])
            del line[cut:]
        else:
            line.append(token)
    return ["".join(line).strip() for line in lines]


def _cut(line: list[str], token: str) -> int:
    """Where ``line`` breaks when ``token`` does not fit: before it, or earlier so the next line does not
    start with ，。） (the character before them goes down too) and this one does not end with （「."""
    cut = len(line)
    if token[0] in NO_LINE_START:
        while cut > 1 and line[cut - 1] in NO_LINE_START:
            cut -= 1
        cut -= 1
    while cut > 1 and line[cut - 1] in NO_LINE_END:
        cut -= 1
    return cut if cut >= 1 else len(line)


def zh_extra(help_text: str) -> str:
    """An option's help with click's bracketed extras ([required], [default: x]) in zh-TW."""
    found = _EXTRA.match(help_text)
    if found is None:
        return help_text
    items = []
    for item in found["extra"].split("; "):
        item = _RANGE.sub(r"\g<low>-\g<high>", item)
        for english, chinese in _EXTRA_WORDS:
            if item.startswith(english):
                item = chinese + item[len(english):]
                break
        items.append(item)
    return f"{found['help']}［{'；'.join(items)}］"


class ZhHelpFormatter(click.HelpFormatter):
    """click's help page with its headings in zh-TW."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, USAGE_PREFIX if prefix is None else prefix)

    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{HEADINGS.get(heading, heading)}：\n")

    def write_text(self, text: str) -> None:
        indent = " " * self.current_indent
        for n, paragraph in enumerate(p for p in text.split("\n\n") if p.strip()):
            if n:
                self.write("\n")
            for line in wrap(paragraph, max(self.width - self.current_indent, 11)):
                self.write(f"{indent}{line}\n")

    def write_dl(self, rows: Iterable[tuple[str, str]], col_max: int = 30, col_spacing: int = 2) -> None:
        """Options or commands and their help, the help column lined up as the terminal shows it."""
        rows = [(term, zh_extra(text)) for term, text in rows]
        first = min(max((columns(term) for term, _ in rows), default=0), col_max) + col_spacing
        margin = " " * (first + self.current_indent)
        for term, text in rows:
            self.write(f"{'':>{self.current_indent}}{term}")
            if not text:
                self.write("\n")
                continue
            fits = columns(term) <= first - col_spacing
            self.write(" " * (first - columns(term)) if fits else "\n" + margin)
            lines = wrap(text, max(self.width - first - self.current_indent, 10))
            self.write("\n".join([lines[0]] + [margin + line for line in lines[1:]]) + "\n")


class ZhContext(click.Context):
    """A context whose help pages and usage lines are written by ``ZhHelpFormatter``."""

    formatter_class = ZhHelpFormatter


class ZhCommand(click.Command):
    """A command whose help page is all zh-TW, its --help option included."""

    context_class = ZhContext

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("options_metavar", OPTIONS_METAVAR)
        super().__init__(*args, **kwargs)

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        option = super().get_help_option(ctx)
        if option is not None:
            option.help = HELP_OPTION_HELP
        return option


class ZhGroup(ZhCommand, click.Group):
    """A group whose help page is zh-TW, and whose commands and groups made with
    ``@group.command()`` / ``@group.group()`` are zh-TW too."""

    command_class = ZhCommand
    group_class = type  # subgroups: this class

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("subcommand_metavar", SUBCOMMAND_METAVAR)
        super().__init__(*args, **kwargs)


def zh_tw(command: click.Command) -> ZhCommand:
    """A command made elsewhere (the demo's own, in ``bot.demo``, which cannot import this package: it
    would import itself) as a ``ZhCommand``, so its help page is zh-TW too: the same name, help,
    parameters and callback; the original is left as it is."""
    return ZhCommand(command.name, callback=command.callback, params=list(command.params), help=command.help,
                     context_settings=command.context_settings, hidden=command.hidden)
