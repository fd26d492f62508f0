"""Pages of the rep's referral work. Placeholder views while the pages are being built:
every URL name resolves so navigation and other apps can link to them."""

from django.shortcuts import render
from django.views.decorators.http import require_POST


def _placeholder(request, title: str, **kwargs):
    return render(request, "referrals/placeholder.html", {"title": title})


def roster(request):
    return _placeholder(request, "Referral roster")


def roster_create(request):
    return _placeholder(request, "Add to the roster")


def roster_edit(request, pk):
    return _placeholder(request, "Edit roster entry")


def roster_delete(request, pk):
    return _placeholder(request, "Remove from the roster")


def pipeline(request):
    return _placeholder(request, "Referrals")


def referral_create(request):
    return _placeholder(request, "Record an ask")


def referral_detail(request, pk):
    return _placeholder(request, "Referral")


def referral_edit(request, pk):
    return _placeholder(request, "Edit referral")


@require_POST
def referral_transition(request, pk):
    return _placeholder(request, "Referral")


def readiness_create(request):
    return _placeholder(request, "Readiness conversation")


def deal_list(request):
    return _placeholder(request, "Deals")


def deal_create(request):
    return _placeholder(request, "New deal")


def deal_edit(request, pk):
    return _placeholder(request, "Edit deal")


def given_list(request):
    return _placeholder(request, "Referrals given")


def given_create(request):
    return _placeholder(request, "Record a referral given")


def ideal_client_profile(request):
    return _placeholder(request, "Ideal client profile")
