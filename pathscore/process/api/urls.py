"""The process engine's API routes; each area appends its registrations."""


def register(router):
    # --- Nodes ---
    from pathscore.process.api import views_nodes

    router.register("nodes", views_nodes.NodeInstanceViewSet, basename="node")
    router.register("delay-reasons", views_nodes.DelayReasonViewSet, basename="delayreason")

    # --- Hand-off tasks, automation rules, delay categories ---
    from pathscore.process.api import views_tasks

    router.register("tasks", views_tasks.TaskViewSet, basename="handofftask")
    router.register(
        "automation-rules", views_tasks.AutomationRuleViewSet, basename="automationrule"
    )
    router.register("delay-categories", views_tasks.DelayCategoryViewSet, basename="delaycategory")
