"""`{% define "asks" %}`: a small "?" button next to a figure that shows what it counts
(reporting.definitions) on hover, keyboard focus or a tap — a real button with the text
tied to it by aria-describedby, not a title= that touch screens and screen readers miss.
static/js/definitions.js makes a tap toggle it; without JavaScript, focus still shows it."""

from django import template
from django.utils.html import format_html

from reporting.definitions import DEFINITIONS

register = template.Library()


@register.simple_tag(takes_context=True)
def define(context, term: str, label: str = "") -> str:
    text = DEFINITIONS[term]
    # Unique on the page, however often one term is explained.
    count = context.render_context.get("define_count", 0) + 1
    context.render_context["define_count"] = count
    element_id = f"definition-{term}-{count}"
    return format_html(
        '<span class="definition"><button type="button" class="definition-toggle" '
        'aria-expanded="false" aria-controls="{id}" aria-describedby="{id}" '
        'aria-label="What {label} counts">?</button>'
        '<span class="definition-text" id="{id}" role="tooltip">{text}</span></span>',
        id=element_id,
        label=label or term.replace("_", " "),
        text=text,
    )
