"""A unique rule the database enforced after validation had passed — a race lost to a
write saved at the same moment — told as the ValidationError validation would have given,
so it is a 400 with a message, never a 500.

Validation (a form's validate_unique, a serializer's validators, a service's look-up) is
check-then-insert: two requests can both pass it, and the second insert meets the
database's constraint. `unique_violation_error` finds which constraint refused it, from
the error alone (no query: on PostgreSQL the transaction may still be broken), and
answers its violation_error_message, else Django's own "… with this … already exists.";
on the one field a user typed when the rule has one (the team or owner beside it are not
typed), above the form otherwise. The API (config.api.exception_handler) and the pages
(core.middleware.UniqueViolationMiddleware) both use it.
"""

import functools
import re
from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, models
from django.db.models.expressions import F

RACE_LOST = "This conflicts with a record saved at the same moment; reload and try again."

POSTGRESQL_UNIQUE_VIOLATION = "23505"
SQLITE_UNIQUE_FAILED = "UNIQUE constraint failed: "
POSTGRESQL_MAX_NAME = 63
_KEY = re.compile(r"Key \((?P<columns>.*)\)=\(", re.DOTALL)
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SQLITE_INDEX = re.compile(r"index '(?P<name>[^']+)'")


@dataclass(frozen=True)
class UniqueRule:
    """One unique rule of a model: a UniqueConstraint, unique_together or unique=True."""

    model: type[models.Model]
    fields: tuple[str, ...]
    columns: frozenset[str]
    database_names: frozenset[str]
    constraint: models.UniqueConstraint | None = None

    @property
    def name(self) -> str:
        if self.constraint is not None:
            return self.constraint.name
        return f"{self.model._meta.label}({', '.join(self.fields)})"

    @property
    def typed_field(self) -> str | None:
        """The one field of the rule a user types, if there is exactly one: relations (the
        team, the owner, the two people of a tie) are chosen or implied, not typed."""
        typed = [name for name in self.fields if not self.model._meta.get_field(name).is_relation]
        return typed[0] if len(typed) == 1 else None

    def message(self) -> ValidationError:
        constraint = self.constraint
        if constraint is not None and (
            constraint.violation_error_message != constraint.default_violation_error_message
        ):
            error = ValidationError(
                constraint.get_violation_error_message(),
                code=constraint.violation_error_code or "unique",
            )
        else:
            # Django's own wording, as a form's validate_unique would give it.
            error = self.model().unique_error_message(self.model, self.fields)
        return error

    def error(self) -> ValidationError:
        """The ValidationError validation would have raised: on the typed field, if any."""
        message = self.message()
        field = self.typed_field
        return ValidationError({field: message}) if field else ValidationError(message)


def _referenced_fields(model, constraint: models.UniqueConstraint) -> tuple[str, ...]:
    if constraint.fields:
        return tuple(constraint.fields)
    names: list[str] = []

    def walk(expression):
        if isinstance(expression, F):
            names.append(expression.name)
        for source in getattr(expression, "get_source_expressions", list)():
            walk(source)

    for expression in constraint.expressions:
        walk(expression)
    return tuple(dict.fromkeys(names))


def _generated_names(model, columns: list[str]) -> set[str]:
    """The names a unique=True column or unique_together gets without a name of its own:
    PostgreSQL's `<table>_<column>_key` (inline UNIQUE) and Django's `…_<hash>_uniq`."""
    table = model._meta.db_table
    names = {connection.schema_editor()._create_index_name(table, columns, suffix="_uniq")}
    names.add(f"{table}_{'_'.join(columns)}_key"[:POSTGRESQL_MAX_NAME])
    return names


def _rules_of(model) -> list[UniqueRule]:
    opts = model._meta
    rules = []
    for field in opts.local_concrete_fields:
        if field.unique and not field.primary_key:
            rules.append(
                UniqueRule(
                    model=model,
                    fields=(field.name,),
                    columns=frozenset([field.column]),
                    database_names=frozenset(_generated_names(model, [field.column])),
                )
            )
    for together in opts.unique_together:
        columns = [opts.get_field(name).column for name in together]
        rules.append(
            UniqueRule(
                model=model,
                fields=tuple(together),
                columns=frozenset(columns),
                database_names=frozenset(_generated_names(model, columns)),
            )
        )
    for constraint in opts.constraints:
        if isinstance(constraint, models.UniqueConstraint):
            fields = _referenced_fields(model, constraint)
            rules.append(
                UniqueRule(
                    model=model,
                    fields=fields,
                    columns=frozenset(opts.get_field(name).column for name in fields),
                    database_names=frozenset([constraint.name]),
                    constraint=constraint,
                )
            )
    return rules


@functools.cache
def unique_rules() -> tuple[UniqueRule, ...]:
    """Every unique rule of every installed model (tables of their own, not proxies)."""
    return tuple(
        rule
        for model in apps.get_models()
        if not model._meta.proxy and model._meta.managed
        for rule in _rules_of(model)
    )


def _by_name(name: str | None) -> UniqueRule | None:
    if not name:
        return None
    return next((rule for rule in unique_rules() if name in rule.database_names), None)


def _by_columns(table: str | None, columns: set[str]) -> UniqueRule | None:
    matches = [
        rule
        for rule in unique_rules()
        if rule.model._meta.db_table == table and rule.columns == columns
    ]
    # Two rules on the same columns (conditions apart) are told apart by name only.
    return matches[0] if len(matches) == 1 else None


def _postgresql_rule(cause) -> UniqueRule | None:
    diag = cause.diag
    rule = _by_name(diag.constraint_name)
    if rule is None and diag.table_name and diag.message_detail:
        # "Key (team_id, lower(name::text))=(3, acme) already exists."
        key = _KEY.match(diag.message_detail)
        if key:
            model = next(
                (m for m in apps.get_models() if m._meta.db_table == diag.table_name), None
            )
            known = (
                {field.column for field in model._meta.local_concrete_fields} if model else set()
            )
            columns = {name for name in _IDENTIFIER.findall(key["columns"]) if name in known}
            rule = _by_columns(diag.table_name, columns)
    return rule


def _sqlite_rule(text: str) -> UniqueRule | None:
    # "UNIQUE constraint failed: contacts_contact.team_id, contacts_contact.email"
    # or, for a rule on an expression: "UNIQUE constraint failed: index 'company_…'".
    failed = text[len(SQLITE_UNIQUE_FAILED) :]
    index = _SQLITE_INDEX.match(failed)
    if index:
        return _by_name(index["name"])
    pairs = [part.strip().rsplit(".", 1) for part in failed.split(",")]
    tables = {pair[0] for pair in pairs if len(pair) == 2}
    if len(tables) != 1:
        return None
    return _by_columns(tables.pop(), {pair[1] for pair in pairs})


def unique_violation_rule(error: IntegrityError) -> tuple[bool, UniqueRule | None]:
    """(whether the error is a unique violation, the rule it broke when it is known)."""
    cause = error.__cause__
    if getattr(cause, "pgcode", None) == POSTGRESQL_UNIQUE_VIOLATION:
        return True, _postgresql_rule(cause)
    text = str(error)
    if text.startswith(SQLITE_UNIQUE_FAILED):
        return True, _sqlite_rule(text)
    return False, None


def unique_violation_error(error: IntegrityError) -> ValidationError | None:
    """The ValidationError for a unique violation, None for any other IntegrityError (a
    foreign key, a check, a null: bugs, left to be the 500s they are). A unique rule not
    found (a table Warmpath does not know) still gets a message: the user can try again."""
    is_unique, rule = unique_violation_rule(error)
    if not is_unique:
        return None
    if rule is None:
        return ValidationError(RACE_LOST, code="unique")
    return rule.error()
