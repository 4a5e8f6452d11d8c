"""The import's menu entry: in the records menu, for whoever may import something."""

from django.utils.translation import gettext_lazy as _

from pathscore.core.navigation import NavItem, register_nav


def _may_import(scope) -> bool:
    from pathscore.transfer.pipelines import pipelines_for

    return bool(pipelines_for(scope))


register_nav(
    NavItem(
        key="imports",
        group="records",
        label=_("Import data"),
        url_name="transfer:index",
        icon="bi-upload",
        order=45,
        when=_may_import,
    )
)
