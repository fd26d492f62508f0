"""A contact's change history: who changed what, when (accounts.audit). For the contact's
owner, the team's managers and admins (accounts.visibility.visible_history)."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts import audit
from accounts.visibility import get_visible_or_404, visible_history
from contacts.models import Contact


@require_GET
def contact_history(request, pk: int):
    contact = get_visible_or_404(visible_history(Contact.objects.all(), request.user), pk=pk)
    page, entries = audit.history_page(contact.history.all(), page_number=request.GET.get("page"))
    return render(
        request,
        "contacts/contact_history.html",
        {"contact": contact, "page": page, "entries": entries},
    )
