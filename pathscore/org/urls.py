from django.urls import path

from pathscore.org.views import departments, people

app_name = "org"

urlpatterns = [
    path("people/", people.UserListView.as_view(), name="user-list"),
    path("people/new/", people.UserCreateView.as_view(), name="user-create"),
    path("people/<int:pk>/", people.UserDetailView.as_view(), name="user-detail"),
    path("people/<int:pk>/edit/", people.UserUpdateView.as_view(), name="user-update"),
    path("people/<int:pk>/active/", people.UserDeactivateView.as_view(), name="user-deactivate"),
    path("people/<int:pk>/password/", people.UserSetPasswordView.as_view(), name="user-password"),
    path("departments/", departments.DepartmentListView.as_view(), name="department-list"),
    path("departments/new/", departments.DepartmentCreateView.as_view(), name="department-create"),
    path(
        "departments/<int:pk>/",
        departments.DepartmentDetailView.as_view(),
        name="department-detail",
    ),
    path(
        "departments/<int:pk>/edit/",
        departments.DepartmentUpdateView.as_view(),
        name="department-update",
    ),
    path(
        "departments/<int:pk>/deactivate/",
        departments.DepartmentDeactivateView.as_view(),
        name="department-deactivate",
    ),
]

# --- Group robots --------------------------------------------------------------------------

from pathscore.org.views import robots  # noqa: E402  (appended section)

urlpatterns += [
    path("robots/", robots.RobotListView.as_view(), name="robot-list"),
    path("robots/new/", robots.RobotCreateView.as_view(), name="robot-create"),
    path("robots/<int:pk>/edit/", robots.RobotUpdateView.as_view(), name="robot-update"),
]
