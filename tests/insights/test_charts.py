"""Chart data built in Python (``insights.charts``) that no browser test reads closely."""

from decimal import Decimal

from pathscore.insights import charts


def test_a_sparkline_draws_its_latest_total_as_a_dot():
    line = charts.sparkline([("2026年第2季度", Decimal("60")), ("2026年第3季度", Decimal("85"))])
    assert line["points"] == "0.0,10.0 96.0,5.0"
    assert (line["last_x"], line["last_y"]) == (94.0, 5.0)  # kept inside the frame
    assert line["title"] == "2026年第2季度: 60 · 2026年第3季度: 85"


def test_one_closed_period_still_shows_a_dot():
    line = charts.sparkline([("2026年第3季度", Decimal("50"))])
    assert (line["last_x"], line["last_y"]) == (2, 12.0)
    assert charts.sparkline([]) == {}
