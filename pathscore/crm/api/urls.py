from pathscore.crm.api import views


def register(router):
    router.register("customers", views.CustomerViewSet, basename="customer")
    router.register("contacts", views.ContactViewSet, basename="contact")
    router.register("projects", views.ProjectViewSet, basename="project")
    router.register("followups", views.FollowUpViewSet, basename="followup")
    router.register("customer-needs", views.CustomerNeedViewSet, basename="customerneed")
    router.register("documents", views.DocumentViewSet, basename="document")
    router.register("document-versions", views.DocumentVersionViewSet, basename="documentversion")
    router.register("contract-terms", views.ContractTermViewSet, basename="contractterm")
    router.register(
        "contract-milestones", views.ContractMilestoneViewSet, basename="contractmilestone"
    )
