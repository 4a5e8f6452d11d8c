from django.conf import settings
from django.urls import reverse

from pathscore.core.navigation import nav_for
from pathscore.core.scoping import scope_for


def navigation(request):
    """The menu for the signed-in user, the languages on offer, the product name."""
    user = getattr(request, "user", None)
    scope = scope_for(user)
    items = []
    if not scope.is_anonymous:
        for item in nav_for(scope):
            url = reverse(item.url_name)
            active = request.path == url if url == "/" else request.path.startswith(url)
            items.append({"item": item, "url": url, "active": active})
    return {
        "nav_items": items,
        "product_name": settings.PATHSCORE_SITE_NAME,
        "available_languages": settings.LANGUAGES,
        "user_scope": scope,
    }
