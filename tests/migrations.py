"""Testing a data migration on the data it was written for.

`as_before(target)` migrates the database back to `target` — with it, whatever depends on
later migrations is unapplied too — and gives the historical models of exactly what is
then applied (never today's models: a column added since would not exist yet). On leaving,
the database is migrated forward to the latest state even when the test failed, so no
later test meets a half-migrated database. Inside, `latest()` runs the migrations under
test (and everything after them)."""

from contextlib import contextmanager

from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def _executor() -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    return executor


def latest() -> None:
    executor = _executor()
    executor.migrate(executor.loader.graph.leaf_nodes())


def to(*targets) -> None:
    _executor().migrate(list(targets))


@contextmanager
def as_before(*targets):
    try:
        to(*targets)
        loader = _executor().loader
        applied = [node for node in loader.applied_migrations if node in loader.graph.nodes]
        yield loader.project_state(applied).apps
    finally:
        latest()
