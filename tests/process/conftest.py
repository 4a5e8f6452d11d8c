import datetime as dt

import pytest
from django.utils import timezone

from pathscore.process import services
from pathscore.process.models import NodeInstance
from tests.crm import factories


@pytest.fixture
def project(personas):
    return factories.project(
        personas.sales_a,
        name="南京配网运维项目",
        started_on=timezone.localdate() - dt.timedelta(days=5),
    )


@pytest.fixture
def process(project):
    return services.process_start(project=project)


def current(project):
    return NodeInstance.objects.select_related("definition", "project__owner__department").get(
        project=project, state__in=["in_progress", "returned", "submitted"]
    )
