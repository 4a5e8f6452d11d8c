from rest_framework import serializers

from pathscore.org.models import Department, User


class DepartmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["id", "name", "code", "kind", "parent", "head", "path", "depth", "is_active"]


class UserSerializer(serializers.ModelSerializer):
    roles = serializers.SerializerMethodField()
    department_name = serializers.CharField(source="department.name", default=None, read_only=True)

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "name",
            "employee_no",
            "department",
            "department_name",
            "title",
            "email",
            "mobile",
            "hire_date",
            "is_active",
            "roles",
        ]

    def get_roles(self, obj) -> list[str]:
        return sorted(grant.role for grant in obj.role_grants.all())
