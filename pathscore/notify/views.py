from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import get_object_or_404, redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.generic import ListView

from pathscore.notify import services
from pathscore.notify.models import Notification


class InboxView(LoginRequiredMixin, ListView):
    template_name = "notify/inbox.html"
    paginate_by = 30
    context_object_name = "notifications"

    def get_queryset(self):
        queryset = Notification.objects.visible_to(self.request.user)
        if self.request.GET.get("unread") == "1":
            queryset = queryset.unread()
        return queryset


class OpenNotificationView(LoginRequiredMixin, View):
    """Mark a message read and follow its link (only to a page on this site)."""

    def post(self, request, pk):
        notification = get_object_or_404(Notification.objects.visible_to(request.user), pk=pk)
        services.mark_read(user=request.user, notification_id=notification.pk)
        target = notification.url
        if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            return redirect(target)
        return redirect("notify:inbox")


class MarkAllReadView(LoginRequiredMixin, View):
    def post(self, request):
        services.mark_read(user=request.user)
        return redirect("notify:inbox")
