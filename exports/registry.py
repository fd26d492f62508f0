"""The kinds of CSV export, each registered by the app whose rows it writes.

The exports app is plumbing: it streams a small export while the user waits, has a worker
write a large one (ExportJob), keeps the file and hands it to its owner, but it knows no
app's records. An app registers each of its kinds from its own `exports` module, which
its AppConfig.ready() loads:

    registry.register("contacts", label="Contacts", build=contacts_from_params)

`build(user=…, params=…)` returns the CsvExport of that kind as `user` sees it *now*: the
page that streams a small export and the worker that writes a large one later (when the
user may no longer see what they saw) make the same call, so the builder does its own
scoping to what the user may see. `params` are JSON, kept on the ExportJob; a builder
raises KeyError/ValueError/TypeError for params no page would have made.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet

from core.csv_safety import safe_cell

# Records read from the database at a time: memory stays flat however long the export.
EXPORT_CHUNK_ROWS = 2000

# The length of ExportJob.kind's column.
KIND_MAX_LENGTH = 20

UNKNOWN_KIND = "This kind of export does not exist, or is no longer available."


@dataclass(frozen=True)
class CsvExport:
    """What one export writes: its header, the records (already scoped to what the user
    may see, filtered and ordered) and how one record becomes a row."""

    header: list[str]
    records: QuerySet
    cells: Callable[[Any], list]

    def rows(self) -> Iterator[list[str]]:
        """The header, then one row per record, every cell formula-safe."""
        yield list(self.header)
        for record in self.records.iterator(chunk_size=EXPORT_CHUNK_ROWS):
            yield [safe_cell(value) for value in self.cells(record)]

    def count_up_to(self, limit: int) -> int:
        """How many rows, counting no further than limit + 1: enough to tell a small
        export from a large one without counting a team's 200,000 relationships."""
        return self.records.order_by().values("pk")[: limit + 1].count()


@dataclass(frozen=True)
class ExportKind:
    kind: str
    label: str
    build: Callable[..., CsvExport]


class UnknownExportKind(LookupError):
    """No app has registered this kind of export (or the app that did is gone)."""


_kinds: dict[str, ExportKind] = {}


def register(kind: str, *, label: str, build: Callable[..., CsvExport]) -> ExportKind:
    """Make a kind of export known. A kind is registered once: a second registration of
    the same name is a mistake (two apps would write one kind's files) and stops start-up."""
    if not kind or len(kind) > KIND_MAX_LENGTH:
        raise ImproperlyConfigured(
            f"Export kind {kind!r} must have 1 to {KIND_MAX_LENGTH} characters."
        )
    if kind in _kinds:
        raise ImproperlyConfigured(f"Export kind {kind!r} is already registered.")
    _kinds[kind] = ExportKind(kind=kind, label=label, build=build)
    return _kinds[kind]


def kind_get(kind: str) -> ExportKind:
    try:
        return _kinds[kind]
    except KeyError:
        raise UnknownExportKind(kind) from None


def kinds() -> list[ExportKind]:
    """Every registered kind, in the order they were registered."""
    return list(_kinds.values())


def label_of(kind: str) -> str:
    """The kind's name for people; a kind no app registers any more shows as stored."""
    registered = _kinds.get(kind)
    return registered.label if registered else kind
