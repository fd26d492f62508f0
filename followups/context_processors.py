from functools import cached_property

from followups.notifications import UNREAD_COUNT_CAP, unread_notification_count

_REQUEST_ATTRIBUTE = "_warmpath_unread_notifications"


class UnreadNotifications:
    """The bell's number, counted when a template first asks for it (one query), then
    kept for the rest of the request."""

    def __init__(self, user):
        self.user = user

    @cached_property
    def count(self) -> int:
        return unread_notification_count(self.user)

    @property
    def label(self) -> str:
        return f"{UNREAD_COUNT_CAP - 1}+" if self.count >= UNREAD_COUNT_CAP else str(self.count)


def unread_notifications_forget(request) -> None:
    """After marking notifications read in this request: count again when asked."""
    if hasattr(request, _REQUEST_ATTRIBUTE):
        delattr(request, _REQUEST_ATTRIBUTE)


def notifications(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    unread = getattr(request, _REQUEST_ATTRIBUTE, None)
    if unread is None:
        unread = UnreadNotifications(user)
        setattr(request, _REQUEST_ATTRIBUTE, unread)
    return {"unread_notifications": unread}
