"""Export about N follow-ups to .xlsx through the follow-up list, in a process of its own.

Run by ``benchmarks/exports.py`` as ``python -m benchmarks.export_followups --rows N
--viewer USERNAME``: it picks the most recent days holding at least N follow-ups, asks
``/followups/?since=…&export=xlsx`` as the viewer (the same view, filters and writer a
person uses), reads the whole workbook, and prints one JSON line with the time, the rows,
the size and the process's peak resident memory — its own, since nothing else runs here.
"""

from __future__ import annotations

import argparse
import json
import os
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--viewer", required=True)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pathscore.settings")
    import django

    django.setup()
    from django.utils import timezone

    from benchmarks.common import peak_rss_mb
    from benchmarks.dashboard import _get, client_for
    from pathscore.crm.models import FollowUp
    from pathscore.org.models import User

    viewer = User.objects.get(username=args.viewer)
    visible = FollowUp.objects.visible_to(viewer)
    nth = visible.order_by("-occurred_at").values_list("occurred_at", flat=True)[
        args.rows - 1 : args.rows
    ]
    since = timezone.localtime(nth[0]).date() if nth else None
    query = f"since={since.isoformat()}&" if since else ""
    rows = visible.filter(occurred_at__date__gte=since).count() if since else visible.count()
    client = client_for(viewer)
    started = time.perf_counter()
    body = _get(client, f"/followups/?{query}export=xlsx")
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "seconds": seconds,
                "rows": rows,
                "bytes": len(body),
                "since": since.isoformat() if since else None,
                "peak_rss_mb": peak_rss_mb(),
            }
        )
    )


if __name__ == "__main__":
    main()
