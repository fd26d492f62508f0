"""Starting Celery tasks: one helper and one policy for every task Warmpath launches.

A task is published after the transaction that wrote its row commits (so the worker finds
the row, and a rolled-back write starts nothing), one message per id (tasks carry ids),
by the task's registered name: the service that launches a task need not import it — the
task's module imports the service, so the other way round would be a cycle.

What happens when the broker is down (or slow) at publish time — the one policy:

- The database row is the truth, the broker only a doorbell. Publishing is best effort
  and bounded in time: no publish retries, the broker's short socket timeouts
  (CELERY_BROKER_TRANSPORT_OPTIONS) bound the wait.
- A failure is logged as a warning and swallowed: the request, command or job that wrote
  the row carries on and succeeds. The rest of the same call is not tried — it would fail
  the same way, each after its own timeout.
- What was not published is found again from its row: queued emails by the outbox's
  periodic drain, a queued export or import by its page, which offers to start it again.

Publishing by name still honours CELERY_TASK_ALWAYS_EAGER: a name the Celery app knows
resolves to the task itself, whose apply_async runs it in place when eager. A web process
has imported no task module (a worker imports them all when it starts), so the first
publish of a name the app does not know yet discovers them the worker's way, once.
"""

import logging
from collections.abc import Iterable
from functools import cache, partial

from celery import Celery, current_app
from django.db import transaction

logger = logging.getLogger(__name__)


def publish_after_commit(task_name: str, ids: Iterable[int]) -> None:
    """Publish the task `task_name` once per id, with the id as its one argument, when the
    current transaction commits; nothing if it rolls back. Outside a transaction it
    publishes at once (Django's on_commit). Never raises for the broker: see the policy
    above."""
    ids = list(ids)
    if ids:
        transaction.on_commit(partial(publish_now, task_name, ids))


def publish_now(task_name: str, ids: Iterable[int]) -> int:
    """Publish the task `task_name` once per id now, under the same policy; return how many
    messages were published. Only for rows committed already: a periodic sweep that
    publishes what the broker lost. Everything else goes through publish_after_commit."""
    ids = list(ids)
    app = current_app
    if task_name not in app.tasks:
        _task_modules_import(app)
    published = 0
    for object_id in ids:
        try:
            app.signature(task_name, args=(object_id,)).apply_async(retry=False)
        except Exception:  # whatever the transport raises: the rows keep the truth
            logger.warning(
                "Broker unavailable: %s of %s %s message(s) not published; their rows wait "
                "to be published again.",
                len(ids) - published,
                len(ids),
                task_name,
                exc_info=True,
            )
            break
        published += 1
    return published


@cache
def _task_modules_import(app: Celery) -> None:
    # The tasks module of every installed app, as the worker imports them when it starts.
    app.autodiscover_tasks(force=True)
