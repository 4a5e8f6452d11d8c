from pathscore.notify.models import Notification


def inbox(request):
    """The unread count on the bell, one COUNT query per page."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_count": Notification.objects.visible_to(user).unread().count()}
