"""Checks across rows: duplicate keys inside a file, and the regulations' per-student limits."""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Callable, Generic, Hashable, Mapping, TypeVar

from bot.domain.importer.context import ImportContext
from bot.domain.importer.readers import Table

T = TypeVar("T")


@dataclass
class Record(Generic[T]):
    """A good row: its spreadsheet row number, its key, and what it says."""

    row: int
    key: Hashable
    data: T


def drop_duplicates(ctx: ImportContext, table: Table, records: list[Record[T]],
                    describe: Callable[[Hashable], str]) -> list[Record[T]]:
    """Report every row whose key another row of the file also has; return the rest."""
    by_key: dict[Hashable, list[Record[T]]] = defaultdict(list)
    for record in records:
        by_key[record.key].append(record)
    kept: list[Record[T]] = []
    for key, group in by_key.items():
        if len(group) == 1:
            kept.append(group[0])
            continue
        rows = [r.row for r in group]
        for record in group:
            others = "、".join(f"第{n}列" for n in rows if n != record.row)
            ctx.error(table, record.row, f"{describe(key)}與{others}重複")
    kept.sort(key=lambda r: r.row)
    return kept


def check_limit(ctx: ImportContext, table: Table, records: list[Record[T]],
                existing: Mapping[Hashable, Hashable | None],
                group_of: Callable[[Record[T]], Hashable | None], limit: int,
                describe: Callable[[Hashable, int], str]) -> set[int]:
    """Count items per group (existing rows by key, overridden by the file's rows) and report
    the file's rows in any group over ``limit``. A group of None is not counted.
    Returns the rows reported."""
    merged: dict[Hashable, Hashable | None] = dict(existing)
    for record in records:
        merged[record.key] = group_of(record)
    counts = Counter(g for g in merged.values() if g is not None)
    bad: set[int] = set()
    for record in records:
        group = group_of(record)
        if group is not None and counts[group] > limit:
            ctx.error(table, record.row, describe(group, counts[group]))
            bad.add(record.row)
    return bad
