"""The sizes of the generated companies.

L is the scale target of the product brief: 1,000 salespeople in 100 teams, 30,000
customers, 100,000 projects and 2,000,000 follow-ups. M is one tenth of L in everything;
S is one hundredth, small enough for CI; XS exists for tests that generate a company
several times.

Node instances are not set directly: every project carries every node of the template it
follows (process_start creates them all), six on the standard process and nine on the
new-energy one, so their number follows from the projects and their categories.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    """How big a generated company is."""

    name: str
    #: Sales regions under the sales centre, and teams (leaf departments) in each.
    regions: int
    teams_per_region: int
    #: Active salespeople, spread over the teams.
    salespeople: int
    #: Salespeople who left during the history (deactivated; their projects handed over).
    departed: int
    #: Engineers of the technical support centre (hand-off tasks, quality ratings).
    engineers: int
    customers: int
    projects: int
    followups: int
    #: Days of history before the as-of date: the four appraisal quarters of the year,
    #: and the projects that were already running when the first one began.
    history_days: int = 455

    @property
    def teams(self) -> int:
        return self.regions * self.teams_per_region


SCALES: dict[str, Scale] = {
    scale.name: scale
    for scale in (
        Scale(
            name="XS",
            regions=1,
            teams_per_region=2,
            salespeople=6,
            departed=1,
            engineers=2,
            customers=40,
            projects=120,
            followups=1_500,
        ),
        Scale(
            name="S",
            regions=1,
            teams_per_region=2,
            salespeople=10,
            departed=1,
            engineers=3,
            customers=300,
            projects=1_000,
            followups=20_000,
        ),
        Scale(
            name="M",
            regions=2,
            teams_per_region=5,
            salespeople=100,
            departed=2,
            engineers=5,
            customers=3_000,
            projects=10_000,
            followups=200_000,
        ),
        Scale(
            name="L",
            regions=10,
            teams_per_region=10,
            salespeople=1_000,
            departed=20,
            engineers=50,
            customers=30_000,
            projects=100_000,
            followups=2_000_000,
        ),
    )
}

#: The scales the command line offers (XS is for the test suite).
PUBLIC_SCALES = ("S", "M", "L")


def apportion(total: int, weights: list[float]) -> list[int]:
    """Share ``total`` out in proportion to ``weights``: whole numbers that add up to
    ``total`` exactly (largest remainders first, ties to the earlier one)."""
    whole = sum(weights)
    if total <= 0 or not weights:
        return [0] * len(weights)
    if whole <= 0:
        weights, whole = [1.0] * len(weights), float(len(weights))
    exact = [total * weight / whole for weight in weights]
    counts = [int(value) for value in exact]
    left = total - sum(counts)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(exact[i] - counts[i]), i))
    for index in by_remainder[:left]:
        counts[index] += 1
    return counts
