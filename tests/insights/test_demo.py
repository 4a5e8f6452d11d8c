"""The demo company opens its alerts once, and shows one manager's intervention."""

import pytest

from pathscore.demo.loader import load_demo
from pathscore.insights import services
from pathscore.insights.choices import AlertKind, AlertState
from pathscore.insights.models import Alert, Intervention

pytestmark = pytest.mark.django_db


def test_the_demo_has_open_alerts_and_an_intervention():
    load_demo()
    assert Alert.objects.filter(kind=AlertKind.STALL, state=AlertState.OPEN).exists()
    intervention = Intervention.objects.select_related("alert__person").get()
    assert intervention.alert.look_again_on is not None
    # The hourly job finds nothing new in the demo it has just run over.
    assert services.alerts_detect()["opened"] == 0
