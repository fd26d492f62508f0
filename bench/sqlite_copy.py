"""The SQLite file of `make bench BENCH_ARGS=--sqlite`: the very rows of the PostgreSQL
bench database (warmpath_bench), copied table by table into a file migrated by Django,
so that the two engines are measured on the same data — same people, same ids, same
typical rep — and the ratio between them means something.

Generating the large set again on SQLite (`seed --size large`, written by bulk_create)
would take an hour on a busy machine; copying rows takes minutes. Every model's table is
copied (Django's, the libraries' and Warmpath's, history included) with the values
converted as Django writes them on SQLite (datetimes as naive UTC text, decimals as text,
JSON as text), foreign keys checked off during the copy and on again after it. Then the
planner statistics are gathered (core.database.statistics_refresh), as the application
does after seeding and every night.
"""

# ruff: noqa: S608 - table and column names come from Django's models, quoted

from __future__ import annotations

import json
import time

COPY_BATCH = 20_000


def _converter(field, connection):
    kind = field.get_internal_type()
    ops = connection.ops
    if kind == "DateTimeField":
        return lambda value: None if value is None else ops.adapt_datetimefield_value(value)
    if kind == "DateField":
        return lambda value: None if value is None else ops.adapt_datefield_value(value)
    if kind == "DecimalField":
        return lambda value: None if value is None else str(value)
    if kind == "JSONField":
        return lambda value: None if value is None else json.dumps(value)
    if kind == "BinaryField":
        return lambda value: None if value is None else bytes(value)
    return None


def copy_from_postgresql(postgresql_url: str, log=print) -> dict[str, int]:
    """Copy every model's rows from the PostgreSQL database at `postgresql_url` into
    Django's default database (an SQLite file, migrated already). Returns rows per table."""
    import psycopg2
    from django.apps import apps
    from django.db import connection

    from core.database import statistics_refresh

    source = psycopg2.connect(postgresql_url)
    source.set_session(readonly=True)
    with source.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'public'"
        )
        source_columns: dict[str, set[str]] = {}
        for table, column in cursor.fetchall():
            source_columns.setdefault(table, set()).add(column)

    connection.ensure_connection()
    target = connection.connection  # the sqlite3 connection itself: executemany, fast
    target.execute("PRAGMA foreign_keys = OFF")
    copied: dict[str, int] = {}
    started = time.monotonic()
    try:
        seen = set()
        for model in apps.get_models(include_auto_created=True):
            meta = model._meta
            table = meta.db_table
            if meta.proxy or not meta.managed or table in seen:
                continue
            seen.add(table)
            # Generated columns (RosterEntry.closed) are computed by SQLite itself.
            fields = [
                f
                for f in meta.concrete_fields
                if f.column in source_columns.get(table, ()) and not f.generated
            ]
            if not fields:
                continue
            converters = [_converter(f, connection) for f in fields]
            quote = connection.ops.quote_name
            columns = ", ".join(quote(f.column) for f in fields)
            insert = (
                f"INSERT INTO {quote(table)} ({columns}) VALUES ({', '.join('?' * len(fields))})"
            )
            target.execute("BEGIN")
            target.execute(f"DELETE FROM {quote(table)}")
            rows = 0
            with source.cursor(name=f"copy_{table}") as reading:
                reading.itersize = COPY_BATCH
                reading.execute(f'SELECT {columns} FROM "{table}"')
                while batch := reading.fetchmany(COPY_BATCH):
                    if any(converters):
                        batch = [
                            tuple(c(v) if c else v for c, v in zip(converters, row, strict=True))
                            for row in batch
                        ]
                    target.executemany(insert, batch)
                    rows += len(batch)
            target.execute("COMMIT")
            copied[table] = rows
            if rows >= 100_000:
                log(f"  {table}: {rows:,} rows ({time.monotonic() - started:.0f} s)")
    finally:
        source.close()
        target.execute("PRAGMA foreign_keys = ON")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA foreign_key_check")
        broken = cursor.fetchmany(5)
    if broken:
        raise SystemExit(f"The copy broke foreign keys, e.g. {broken}")
    statistics_refresh()
    log(f"  copied {sum(copied.values()):,} rows in {time.monotonic() - started:.0f} s, analyzed")
    return copied
