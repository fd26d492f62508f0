"""The notifications page: the user's own reminders, read and unread, and marking them
read (one, or all). Another user's notification is a 404."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.visibility import get_visible_or_404
from core.http import safe_next_url
from followups.context_processors import unread_notifications_forget
from followups.filters import NotificationFilter
from followups.notifications import notification_mark_read, notifications_mark_all_read
from followups.selectors import notifications_for_user

PAGE_SIZE = 25
ALL_READ = "All caught up: {count} notification{plural} marked read."
NOTHING_UNREAD = "Nothing unread."
MARKED_READ = "Marked read."


def _next_url(request) -> str:
    return safe_next_url(request, reverse("followups:notifications"))


@require_GET
def notifications(request):
    # The API's filters too (?show=unread is the tab, ?unread=true the API's name for it).
    filterset = NotificationFilter(request.GET, queryset=notifications_for_user(request.user))
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "followups/notifications.html",
        {"page": page, "unread_only": filterset.unread_only},
    )


@require_POST
def notification_read(request, pk: int):
    notification = get_visible_or_404(notifications_for_user(request.user), pk=pk)
    notification_mark_read(notification=notification)
    unread_notifications_forget(request)
    if request.htmx:
        # The row, and the bell's number out of band.
        return render(
            request,
            "followups/_notification.html",
            {"notification": notification, "update_badge": True},
        )
    messages.success(request, MARKED_READ)
    return redirect(_next_url(request))


@require_POST
def notifications_read_all(request):
    count = notifications_mark_all_read(user=request.user)
    unread_notifications_forget(request)
    if count:
        messages.success(request, ALL_READ.format(count=count, plural="" if count == 1 else "s"))
    else:
        messages.info(request, NOTHING_UNREAD)
    return redirect(_next_url(request))
