"""The roster is read in its order from an index (issue 20), so the keys of that order live
on the entry: `closed` (generated from the status by the database) and `prospect_fit`, a
copy of the prospect's fit score. The copy must follow the fit wherever the fit changes —
a new entry, the team's ideal client profile, a contact, a company, the prospect changed in
the admin — and the order read must be the order the roster promises: open entries
first, then priority, the best fit (the prospect's, as it is now), the newest."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contacts.models import Contact, Function, Industry
from contacts.services import (
    company_update,
    contact_update,
    fit_scores_changed,
    ideal_client_profile_update,
)
from referrals import selectors
from referrals import services as referral_services
from referrals.models import RosterEntry
from tests import migrations
from tests.factories import CompanyFactory, ContactFactory, RosterEntryFactory

pytestmark = pytest.mark.django_db


def copies(*entries) -> list[tuple[int, int]]:
    """(the entry's copy, the prospect's fit) of each entry, as stored."""
    rows = RosterEntry.objects.filter(pk__in=[e.pk for e in entries]).order_by("pk")
    return list(rows.values_list("prospect_fit", "prospect__fit_score"))


def test_a_new_entry_takes_its_prospects_fit(acme, alice):
    ideal_client_profile_update(team=acme, data={"functions": [Function.FINANCE]})
    prospect = ContactFactory(team=acme, owner=alice, function=Function.FINANCE)
    Contact.objects.filter(pk=prospect.pk).update(fit_score=100)
    prospect.refresh_from_db()

    entry = referral_services.roster_entry_create(owner=alice, team=acme, prospect=prospect)

    assert copies(entry) == [(100, 100)]


def test_the_copy_follows_the_profile_a_contact_and_a_company(acme, alice, bob):
    software = CompanyFactory(team=acme, industry=Industry.SOFTWARE)
    retail = CompanyFactory(team=acme, industry=Industry.RETAIL)
    in_software = ContactFactory(team=acme, owner=alice, company=software)
    in_retail = ContactFactory(team=acme, owner=alice, company=retail)
    entries = [
        RosterEntryFactory(prospect=in_software, owner=alice),
        RosterEntryFactory(prospect=in_software, owner=bob),  # on two rosters
        RosterEntryFactory(prospect=in_retail, owner=alice),
    ]
    assert copies(*entries) == [(0, 0), (0, 0), (0, 0)]

    ideal_client_profile_update(team=acme, data={"industries": [Industry.SOFTWARE]})
    assert copies(*entries) == [(100, 100), (100, 100), (0, 0)]

    company_update(company=retail, data={"industry": Industry.SOFTWARE})
    assert copies(*entries) == [(100, 100), (100, 100), (100, 100)]

    contact_update(contact=in_software, data={"company": retail})
    ideal_client_profile_update(team=acme, data={"industries": [Industry.RETAIL]})
    assert copies(*entries) == [(0, 0), (0, 0), (0, 0)]


def test_an_entry_given_another_prospect_in_the_admin_takes_theirs(acme, alice, admin_client):
    entry = RosterEntryFactory(prospect=ContactFactory(team=acme, owner=alice), owner=alice)
    better = ContactFactory(team=acme, owner=alice)
    Contact.objects.filter(pk=better.pk).update(fit_score=80)

    response = admin_client.post(
        reverse("admin:referrals_rosterentry_change", args=[entry.pk]),
        {
            "team": acme.pk,
            "owner": alice.pk,
            "prospect": better.pk,
            "priority": entry.priority,
            "reason": entry.reason,
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert copies(entry) == [(80, 80)]


def test_a_status_change_leaves_the_copy_as_it_is_and_moves_a_won_entry_last(acme, alice):
    first = RosterEntryFactory(prospect=ContactFactory(team=acme, owner=alice), owner=alice)
    second = RosterEntryFactory(prospect=ContactFactory(team=acme, owner=alice), owner=alice)
    Contact.objects.filter(pk=first.prospect_id).update(fit_score=90)
    first.prospect.refresh_from_db()
    first.save()  # saved with its prospect at hand: takes its fit
    assert [e.pk for e in selectors.roster_for_user(alice)] == [first.pk, second.pk]

    entry = RosterEntry.objects.get(pk=first.pk)  # its prospect not loaded
    entry.status = RosterEntry.Status.WON
    entry.save(update_fields=["status"])

    assert [e.pk for e in selectors.roster_for_user(alice)] == [second.pk, first.pk]
    assert copies(first) == [(90, 90)]


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(list(RosterEntry.Status.values)),
            st.sampled_from([1, 2, 3]),  # priority
            st.integers(0, 100),  # the fit when the entry is made
            st.one_of(st.none(), st.integers(0, 100)),  # the fit later, if it changes
            st.integers(0, 3),  # made so many days ago
        ),
        min_size=1,
        max_size=8,
    )
)
def test_the_roster_is_in_its_promised_order_whatever_the_fits_did(alice, acme, rows):
    """The class: whatever statuses, priorities, fits (changed after the entry was made or
    not) and ages, the order read through the index is open first, then priority, the
    prospect's fit as it is now, the newest, the latest made."""
    RosterEntry.objects.filter(team=acme).delete()
    Contact.objects.filter(team=acme, user__isnull=True).delete()
    now = timezone.now()
    made = []
    for index, (status, priority, fit, later, age) in enumerate(rows):
        prospect = ContactFactory(team=acme, owner=alice, first_name=f"P{index}")
        Contact.objects.filter(pk=prospect.pk).update(fit_score=fit)
        prospect.refresh_from_db()
        entry = referral_services.roster_entry_create(
            owner=alice, team=acme, prospect=prospect, priority=priority
        )
        RosterEntry.objects.filter(pk=entry.pk).update(
            status=status, created_at=now - timedelta(days=age)
        )
        if later is not None:
            # Stored as contact_fit_scores_refresh stores it, and announced as it does.
            Contact.objects.filter(pk=prospect.pk).update(fit_score=later)
            fit_scores_changed.send(Contact, contact_ids=[prospect.pk])
        made.append(entry.pk)

    stored = {e.pk: e for e in RosterEntry.objects.select_related("prospect").filter(pk__in=made)}
    expected = sorted(
        made,
        key=lambda pk: (
            stored[pk].status in RosterEntry.CLOSED,
            stored[pk].priority,
            -stored[pk].prospect.fit_score,
            -stored[pk].created_at.timestamp(),
            -pk,
        ),
    )

    assert [e.pk for e in selectors.roster_for_user(alice, team=acme)] == expected


@pytest.mark.parametrize(
    "command", [("seed_demo",), ("seed", "--size", "dense", "--scale", "0.01")], ids=str
)
def test_the_seeds_give_each_entry_its_prospects_fit(command):
    """The demo (through the services) and the bulk seed (rows written past save())."""
    call_command(*command, stdout=StringIO())

    entries = RosterEntry.objects.values_list("prospect_fit", "prospect__fit_score")
    assert entries.exists()
    assert [copy for copy, fit in entries if copy != fit] == []
    assert entries.filter(prospect__fit_score__gt=0).exists()


@pytest.mark.django_db(transaction=True)
def test_the_migration_copies_each_prospects_fit():
    before = ("referrals", "0014_contact_facts_filled")
    with migrations.as_before(before) as apps:
        Team = apps.get_model("accounts", "Team")
        User = apps.get_model("accounts", "User")
        OldContact = apps.get_model("contacts", "Contact")
        OldEntry = apps.get_model("referrals", "RosterEntry")
        team = Team.objects.create(name="Old data")
        rep = User.objects.create(username="old-rep")
        fits = {"Fay": 90, "Gus": 0, "Hal": 45}
        for name, fit in fits.items():
            prospect = OldContact.objects.create(
                team=team, owner=rep, first_name=name, fit_score=fit
            )
            OldEntry.objects.create(team=team, owner=rep, prospect=prospect)
        migrations.latest()
        copies = dict(RosterEntry.objects.values_list("prospect__first_name", "prospect_fit"))
        assert copies == fits
