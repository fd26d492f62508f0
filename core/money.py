"""Amounts of money, written one way everywhere: pages, emails, charts and CSV files.

An amount is written in the team's currency (Team.currency) in the conventions of the
reader's language (User.language): "$93,200" for en-us, "93 200 €" for fr. Whole amounts
carry no ".00"; others keep the currency's own decimals ("$93,200.50").

Who reads and in what currency is set once per request (accounts' middleware) or around
an email or an export being written (`override`), like Django's time zone: code and
templates just call `format_money(amount)` or `{{ amount|money }}`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.numbers import get_currency_name, get_territory_currencies, list_currencies
from django.conf import settings

FALLBACK_CURRENCY = "USD"
NO_AMOUNT = "—"


@lru_cache(maxsize=64)
def _locale(language: str | None) -> Locale:
    """The Babel locale of a Django language code ("en-us", "fr"); English for an unknown
    one, so a stale preference never breaks a page."""
    try:
        return Locale.parse((language or settings.LANGUAGE_CODE).replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return Locale.parse("en_US")


def language_name(language: str) -> str:
    """A language code's name in English: en-us → "English (United States)"."""
    return _locale(language).get_display_name("en") or language


def currency_of_language(language: str | None) -> str:
    """The currency of the country a language code points to: en-us → USD, en-gb → GBP,
    fr → EUR (a language without a country gets its most likely one)."""
    locale = _locale(language)
    territory = locale.territory
    if not territory:  # "fr" → fr_Latn_FR, the likeliest country of the language
        likely = get_global("likely_subtags").get(locale.language, "")
        territory = next((part for part in likely.split("_") if part.isupper()), None)
    if not territory:
        return FALLBACK_CURRENCY
    currencies = get_territory_currencies(territory)
    return currencies[0] if currencies else FALLBACK_CURRENCY


def default_currency() -> str:
    """A new team's currency: settings.DEFAULT_CURRENCY, else the site language's."""
    return getattr(settings, "DEFAULT_CURRENCY", "") or currency_of_language(settings.LANGUAGE_CODE)


@lru_cache(maxsize=1)
def currency_choices() -> list[tuple[str, str]]:
    """Every ISO 4217 currency Babel knows, as (code, "EUR — Euro")."""
    return [
        (code, f"{code} — {get_currency_name(code, locale='en')}")
        for code in sorted(list_currencies())
    ]


@dataclass(frozen=True)
class MoneyFormat:
    currency: str
    language: str


class _Lazy:
    """A format worked out the first time an amount is written (a request that writes
    none never looks up its team), then kept."""

    def __init__(self, resolve: Callable[[], tuple[str | None, str | None]]):
        self._resolve = resolve
        self._format: MoneyFormat | None = None

    def get(self) -> MoneyFormat:
        if self._format is None:
            currency, language = self._resolve()
            self._format = MoneyFormat(
                currency or default_currency(), language or settings.LANGUAGE_CODE
            )
        return self._format


_active: ContextVar[MoneyFormat | _Lazy | None] = ContextVar("money_format", default=None)


def active() -> MoneyFormat:
    """The format in force: the one set for this request, email or export, else the site's
    (default currency, site language)."""
    current = _active.get()
    if isinstance(current, _Lazy):
        return current.get()
    return current or MoneyFormat(default_currency(), settings.LANGUAGE_CODE)


@contextmanager
def override_lazily(resolve: Callable[[], tuple[str | None, str | None]]) -> Iterator[None]:
    """Inside the block, amounts are written in the (currency, language) that `resolve`
    returns, called once, when the first amount is written."""
    token = _active.set(_Lazy(resolve))
    try:
        yield
    finally:
        _active.reset(token)


@contextmanager
def override(*, currency: str | None, language: str | None) -> Iterator[MoneyFormat]:
    """Write amounts in `currency` for a reader of `language` inside the block (a missing
    one keeps what is in force)."""
    current = active()
    chosen = MoneyFormat(currency or current.currency, language or current.language)
    token = _active.set(chosen)
    try:
        yield chosen
    finally:
        _active.reset(token)


def _amount(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return amount if amount.is_finite() else None


def format_money(value, *, currency: str | None = None, language: str | None = None) -> str:
    """An amount as people read it: the currency's symbol where the reader's language puts
    it, its digit grouping, and decimals only when the amount is not whole. "—" for no
    amount (None, empty)."""
    amount = _amount(value)
    if amount is None:
        return NO_AMOUNT
    fmt = active()
    currency = (currency or fmt.currency or FALLBACK_CURRENCY).upper()
    locale = _locale(language or fmt.language)
    pattern = copy.copy(locale.currency_formats["standard"])
    whole = amount == amount.to_integral_value()
    if whole:
        pattern.frac_prec = (0, 0)
        amount = amount.to_integral_value()
    return pattern.apply(amount, locale, currency=currency, currency_digits=not whole)
