"""What a template kind is: its name, zh-TW label, header columns and the function that imports it."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from bot.domain.importer.context import ImportContext
    from bot.domain.importer.readers import Table
    from bot.domain.importer.report import FileReport


@dataclass(frozen=True)
class KindSpec:
    name: str                 # "students"
    label: str                # "學生名冊"
    columns: tuple[str, ...]  # the header row, in template order
    run: Callable[["Table", "ImportContext", "FileReport"], None]
    optional: frozenset[str] = frozenset()  # columns that may be left out

    def matches(self, header: list[str]) -> bool:
        got = set(header)
        if len(got) != len(header):
            return False
        return set(self.columns) - self.optional <= got <= set(self.columns)
