"""The audit trail: who changed what, and when, on contacts, referrals and follow-ups.

django-simple-history writes one historical row per save (HistoricalRecords on the
models), with the user of the request (HistoryRequestMiddleware). Writes that bypass
save() — bulk_create/bulk_update in the seed, the CSV imports and the fit score
refresh, and the reminder claims' queryset.update() — leave no row: they are bulk jobs,
not someone's edit, and are acceptable gaps.

This module turns those rows into what a person reads (history_page) and keeps the
admin's History pages read-only (AuditHistoryAdmin).
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from csp.decorators import csp_update
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db import models
from django.utils import dateformat, timezone
from simple_history.admin import SimpleHistoryAdmin

HISTORY_PAGE_SIZE = 25
# Bookkeeping, not something a person changed.
NOT_SHOWN = frozenset({"id", "team", "created_at", "updated_at"})
ACTIONS = {"+": "Created", "~": "Changed", "-": "Deleted"}


@dataclass
class FieldChange:
    label: str
    old: Any
    new: Any


@dataclass
class HistoryEntry:
    when: Any
    who: Any  # the user, or None for a change made outside a request (seed, task, shell)
    action: str
    changes: list[FieldChange] = field(default_factory=list)
    note: str = ""


FIRST_RECORDED = (
    "The first recorded version: it was made by a bulk job (seed or import), which keeps "
    "no history, so these are its values then, not changes."
)


def _changed_values(record, previous, names) -> list[tuple[str, Any, Any]]:
    if record.history_type == "+" or previous is None:
        # A creation: every field that was given a value.
        return [
            (name, None, getattr(record, _attname(record, name)))
            for name in names
            if getattr(record, _attname(record, name)) not in (None, "")
        ]
    if record.history_type == "-":
        return []
    delta = record.diff_against(previous, included_fields=names)
    return [(change.field, change.old, change.new) for change in delta.changes]


def _attname(record, name: str) -> str:
    return record.instance_type._meta.get_field(name).attname


def _tracked_names(model: type[models.Model]) -> list[str]:
    return [f.name for f in model._meta.concrete_fields if f.editable and f.name not in NOT_SHOWN]


def _foreign_key_labels(model, raw_changes) -> dict[tuple[str, Any], str]:
    """One query per related model (users, companies, contacts, roster entries…), with
    the foreign keys its name may use joined in: the labels cost the same whatever the
    number of changes on the page."""
    wanted: dict[str, set] = {}
    for _record, changes in raw_changes:
        for name, old, new in changes:
            if model._meta.get_field(name).many_to_one:
                wanted.setdefault(name, set()).update(v for v in (old, new) if v is not None)
    labels = {}
    by_model: dict[type[models.Model], set] = {}
    for name, ids in wanted.items():
        by_model.setdefault(model._meta.get_field(name).related_model, set()).update(ids)
    names_of: dict[type[models.Model], dict] = {}
    for related, ids in by_model.items():
        joined = [f.name for f in related._meta.concrete_fields if f.many_to_one]
        names_of[related] = {
            obj.pk: str(obj)
            for obj in related._default_manager.select_related(*joined).filter(pk__in=ids)
        }
    for name, ids in wanted.items():
        known = names_of[model._meta.get_field(name).related_model]
        for pk in ids:
            labels[(name, pk)] = known.get(pk, f"#{pk} (deleted)")
    return labels


def _display(model, name: str, value, fk_labels) -> Any:
    if value is None or value == "":
        return None
    model_field = model._meta.get_field(name)
    if model_field.many_to_one:
        return fk_labels[(name, value)]
    if model_field.choices:
        return dict(model_field.flatchoices).get(value, value)
    if isinstance(model_field, models.BooleanField):
        return "Yes" if value else "No"
    if isinstance(value, datetime):
        # In the reader's time zone, like every time on the pages.
        return dateformat.format(timezone.localtime(value), "Y-m-d H:i")
    return value


def history_page(history, *, page_number) -> tuple[Page, list[HistoryEntry]]:
    """One page of an object's history, newest first, each entry with the fields that
    changed (old → new, as people read them). Queries: the count, the page's rows with
    their users (plus the row just before the page, to diff the oldest against), and one
    per kind of linked record named in the changes."""
    model = history.model.instance_type
    ordered = history.select_related("history_user").order_by("-history_date", "-history_id")
    page = Paginator(ordered, HISTORY_PAGE_SIZE).get_page(page_number)
    if not page.paginator.count:
        return page, []
    start = page.start_index() - 1
    rows = list(ordered[start : page.end_index() + 1])
    names = _tracked_names(model)
    shown = rows[: page.end_index() - start]
    raw_changes = [
        (record, _changed_values(record, rows[index + 1] if index + 1 < len(rows) else None, names))
        for index, record in enumerate(shown)
    ]
    fk_labels = _foreign_key_labels(model, raw_changes)
    entries = []
    for index, (record, changes) in enumerate(raw_changes):
        first_known = record.history_type == "~" and start + index + 1 >= page.paginator.count
        entries.append(
            HistoryEntry(
                when=record.history_date,
                who=record.history_user,
                action=ACTIONS.get(record.history_type, record.history_type),
                changes=[
                    FieldChange(
                        label=str(model._meta.get_field(name).verbose_name).capitalize(),
                        old=_display(model, name, old, fk_labels),
                        new=_display(model, name, new, fk_labels),
                    )
                    for name, old, new in changes
                ],
                note=FIRST_RECORDED if first_known else "",
            )
        )
    return page, entries


# simple-history's admin history list has one style attribute, style="border-top: 0";
# the Content-Security-Policy allows exactly that one, by its hash, on that page only.
HISTORY_LIST_CSP = {
    "style-src-attr": ["'unsafe-hashes'", "'sha256-XMXSevYjgSjXgRafBFDvtjwX+yyWLrxfso9DcNZ9UXM='"]
}


class AuditHistoryAdmin(SimpleHistoryAdmin):
    """The admin's History page for a model, read-only. A historical version is never
    saved back ("revert"): changes go through the services, which keep the rules (a
    referral's status moves only through its state machine)."""

    def history_view(self, request, object_id, extra_context=None):
        view = csp_update(HISTORY_LIST_CSP)(super().history_view)
        return view(request, object_id, extra_context)

    def has_change_history_permission(self, request, obj=None):
        return False

    def revert_disabled(self, request, obj=None):
        return True

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied("History is read-only.")
        return super().history_form_view(request, object_id, version_id, extra_context)
