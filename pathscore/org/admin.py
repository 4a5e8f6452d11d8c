from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from simple_history.admin import SimpleHistoryAdmin

from pathscore.org.models import Department, RoleGrant, User


class RoleGrantInline(admin.TabularInline):
    """Roles are shown here but changed in the product's people screens, whose service
    keeps Django-admin access and the security log in step."""

    model = RoleGrant
    extra = 0
    can_delete = False
    readonly_fields = ["role"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(SimpleHistoryAdmin, DjangoUserAdmin):
    list_display = ["username", "name", "employee_no", "department", "title", "is_active"]
    list_filter = ["is_active", "department", "role_grants__role"]
    search_fields = ["username", "name", "employee_no", "mobile"]
    ordering = ["username"]
    inlines = [RoleGrantInline]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Employee", {"fields": ("name", "employee_no", "department", "title", "hire_date")}),
        ("Contact", {"fields": ("email", "mobile")}),
        ("Preferences", {"fields": ("language", "time_zone")}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser")}),
    )
    add_fieldsets = ((None, {"fields": ("username", "name", "password1", "password2")}),)
    filter_horizontal = ()


@admin.register(Department)
class DepartmentAdmin(SimpleHistoryAdmin):
    list_display = ["name", "code", "kind", "parent", "head", "is_active"]
    search_fields = ["name", "code"]
    readonly_fields = ["path", "depth"]

    def save_model(self, request, obj, form, change):
        # The tree path is derived: a move goes through the service that rewrites the
        # subtree. Each branch saves the row once, so the history gets exactly one entry.
        from pathscore.org import services

        if change and "parent" in form.changed_data:
            services.department_move(department=obj, parent=obj.parent)
            return
        obj.save()
        if not change:
            # The path needs the new primary key; written without a second history entry.
            obj.path, obj.depth = services.path_for(obj)
            Department.objects.filter(pk=obj.pk).update(path=obj.path, depth=obj.depth)
