"""The `money` template filter: `{{ amount|money }}` writes an amount as core.money does,
in the currency and language in force. A built-in of every template (settings TEMPLATES),
so no page, partial or email can forget to load it."""

from django import template

from core.money import format_money

register = template.Library()


@register.filter
def money(value) -> str:
    return format_money(value)
