from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from pathscore.core.models import BaseModel
from pathscore.core.scoping import Scope, ScopedQuerySet, subtree_q
from pathscore.scoring.choices import RatingSource
from pathscore.scoring.models.scorecards import CompanyWideQuerySet


class PersonRecordQuerySet(ScopedQuerySet):
    """Records about a person: the person, their managers, HR and executives see them."""

    person_field = "person"

    def scope_filter(self, scope: Scope) -> Q:
        if scope.sees_all_records:
            return Q()
        return Q(**{f"{self.person_field}_id": scope.user_id}) | subtree_q(
            f"{self.person_field}__department__path", scope.managed_paths
        )


class CustomerRating(BaseModel):
    """The customer's rating of a salesperson (from a survey, a call or a visit)."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("salesperson"),
        on_delete=models.PROTECT,
        related_name="customer_ratings",
    )
    customer = models.ForeignKey(
        "crm.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="+"
    )
    project = models.ForeignKey(
        "crm.Project",
        verbose_name=_("project"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    rated_on = models.DateField(_("rated on"))
    domain_knowledge = models.PositiveSmallIntegerField(
        _("power-domain knowledge (1–5)"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    communication = models.PositiveSmallIntegerField(
        _("communication (1–5)"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(_("comment"), blank=True)
    source = models.CharField(
        _("source"), max_length=12, choices=RatingSource.choices, default=RatingSource.SURVEY
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    history = HistoricalRecords()
    objects = PersonRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-rated_on", "-pk"]
        verbose_name = _("customer rating")
        verbose_name_plural = _("customer ratings")

    def __str__(self):
        return f"{self.person} · {self.customer} {self.rated_on}"


class QualityRating(BaseModel):
    """The technical team's (or a reviewer's) quality rating, 0–100, of a report or
    proposal version, credited to the person who wrote it."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="quality_ratings",
    )
    version = models.ForeignKey(
        "crm.DocumentVersion",
        verbose_name=_("document version"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    score = models.PositiveSmallIntegerField(
        _("quality score"), validators=[MaxValueValidator(100)]
    )
    comment = models.TextField(_("comment"), blank=True)
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rated by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    rated_on = models.DateField(_("rated on"))

    history = HistoricalRecords()
    objects = PersonRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-rated_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "rated_by"], name="scoring_quality_once_per_rater"
            )
        ]
        verbose_name = _("quality rating")
        verbose_name_plural = _("quality ratings")

    def __str__(self):
        return f"{self.version} {self.score}"


class TrainingCourse(models.Model):
    """A course HR offers, mapped to the indicators it helps with."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    indicators = models.JSONField(_("helps with indicators"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords()
    objects = CompanyWideQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("training course")
        verbose_name_plural = _("training courses")

    def __str__(self):
        return self.name


class TrainingSession(BaseModel):
    """One session of a course on a day; people required to attend and who did."""

    course = models.ForeignKey(
        TrainingCourse, verbose_name=_("course"), on_delete=models.PROTECT, related_name="sessions"
    )
    held_on = models.DateField(_("held on"))
    location = models.CharField(_("location"), max_length=100, blank=True)

    history = HistoricalRecords()
    objects = CompanyWideQuerySet.as_manager()

    class Meta:
        ordering = ["-held_on", "-pk"]
        verbose_name = _("training session")
        verbose_name_plural = _("training sessions")

    def __str__(self):
        return f"{self.course} {self.held_on}"


class Attendance(models.Model):
    """A person required at (or assigned to) a session, and whether they attended."""

    session = models.ForeignKey(
        TrainingSession, on_delete=models.CASCADE, related_name="attendances"
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        related_name="attendances",
    )
    required = models.BooleanField(_("required"), default=True)
    attended = models.BooleanField(_("attended"), default=False)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(_("why assigned"), max_length=200, blank=True)

    history = HistoricalRecords()
    objects = PersonRecordQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "person"], name="scoring_attendance_once")
        ]
        verbose_name = _("attendance")
        verbose_name_plural = _("attendances")

    def __str__(self):
        return f"{self.person} @ {self.session}"


class Commendation(BaseModel):
    """Recognition of a person's work in a period."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        related_name="commendations",
    )
    period = models.ForeignKey(
        "scoring.Period",
        verbose_name=_("period"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    title = models.CharField(_("title"), max_length=100)
    text = models.TextField(_("what for"), blank=True)
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("given by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    given_on = models.DateField(_("given on"))

    objects = PersonRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-given_on", "-pk"]
        verbose_name = _("commendation")
        verbose_name_plural = _("commendations")

    def __str__(self):
        return self.title
