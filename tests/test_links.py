"""core.links.RowLinks: a route reversed once and filled in per row gives, for every id,
the address reverse() would give — the pages that use it link where they did."""

from types import SimpleNamespace

from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from core.links import RowLinks

ROUTES = {
    "contact": "contacts:detail",
    "edit": "contacts:relationship-edit",
    "referral": "referrals:referral-detail",
    "complete": "followups:complete",
}


@settings(deadline=None)  # the first example loads the URL configuration
@given(ids=st.lists(st.integers(1, 2**31 - 1), min_size=3, max_size=3))
def test_each_rows_links_are_the_addresses_reverse_gives(ids):
    links = RowLinks(
        contact=(ROUTES["contact"], "pk"),
        edit=(ROUTES["edit"], "tie.pk"),  # a dotted path
        referral=(ROUTES["referral"], "referral_id"),
        complete=(ROUTES["complete"], "pk"),
    )
    contact, tie, referral = ids
    row = SimpleNamespace(pk=contact, tie=SimpleNamespace(pk=tie), referral_id=referral)

    made = links.of(row)

    assert made == {
        "contact": reverse(ROUTES["contact"], args=[contact]),
        "edit": reverse(ROUTES["edit"], args=[tie]),
        "referral": reverse(ROUTES["referral"], args=[referral]),
        "complete": reverse(ROUTES["complete"], args=[contact]),
    }
