from django.conf import settings
from django.urls import reverse

from pathscore.core.navigation import menu_for
from pathscore.core.scoping import scope_for


def _link(item, path: str) -> dict:
    url = reverse(item.url_name)
    active = path == url if url == "/" else path.startswith(url)
    return {"item": item, "url": url, "active": active}


def navigation(request):
    """The menu for the signed-in user, the languages on offer, the product name."""
    user = getattr(request, "user", None)
    scope = scope_for(user)
    entries = []
    if not scope.is_anonymous:
        links = []
        for entry in menu_for(scope):
            if entry.item is not None:
                link = _link(entry.item, request.path)
                links.append(link)
                entries.append({**link, "label": entry.label, "icon": entry.icon})
            else:
                children = [_link(child, request.path) for child in entry.children]
                links.extend(children)
                entries.append({"label": entry.label, "icon": entry.icon, "children": children})
        # Only the most specific entry is current: /insights/reports/ is not the dashboard.
        longest = max((len(link["url"]) for link in links if link["active"]), default=0)
        for link in links:
            link["active"] = link["active"] and len(link["url"]) == longest
        for entry in entries:
            if "children" in entry:
                entry["active"] = any(child["active"] for child in entry["children"])
            else:
                entry["active"] = next(
                    link["active"] for link in links if link["item"] is entry["item"]
                )
    return {
        "nav_items": entries,
        "product_name": settings.PATHSCORE_SITE_NAME,
        "available_languages": settings.LANGUAGES,
        "user_scope": scope,
    }
