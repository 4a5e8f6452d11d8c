from django.db import models
from django.utils.translation import gettext_lazy as _

from pathscore.process.choices import ReminderKind


class ReminderLog(models.Model):
    """One reminder that went out: the unique key makes each go out exactly once per
    subject, kind, channel, occasion and recipient, however many workers run the job."""

    subject = models.CharField(max_length=40)  # "node:12", "task:5", "project:3"
    kind = models.CharField(_("kind"), max_length=24, choices=ReminderKind.choices)
    channel = models.CharField(_("channel"), max_length=16)
    #: Distinguishes occasions of one kind, e.g. "3" and "1" days before the due date.
    occasion = models.CharField(max_length=20, default="")
    recipient_id = models.BigIntegerField(default=0)
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["subject", "kind", "channel", "occasion", "recipient_id"],
                name="process_reminder_once",
            )
        ]
        verbose_name = _("reminder sent")
        verbose_name_plural = _("reminders sent")

    def __str__(self):
        return f"{self.subject} {self.kind} {self.channel} {self.occasion}"
