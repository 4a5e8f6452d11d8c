from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from pathscore.api.viewsets import ScopedReadOnlyViewSet
from pathscore.org import selectors
from pathscore.org.api.serializers import DepartmentSerializer, UserSerializer
from pathscore.org.filtersets import DepartmentFilterSet, UserFilterSet
from pathscore.org.models import Department, User


class DepartmentViewSet(ScopedReadOnlyViewSet):
    """Departments the caller may see, in tree order."""

    queryset = Department.objects.all()
    serializer_class = DepartmentSerializer
    filterset_class = DepartmentFilterSet

    def get_queryset(self):
        return Department.objects.visible_to(self.request.user).order_by("path")


class UserViewSet(ScopedReadOnlyViewSet):
    """People the caller may see, with their roles."""

    queryset = User.objects.all()
    serializer_class = UserSerializer
    filterset_class = UserFilterSet

    def get_queryset(self):
        return selectors.users_for_list(self.request.user).order_by("username")


class MeView(APIView):
    @extend_schema(responses=UserSerializer)
    def get(self, request):
        user = selectors.users_for_list(request.user).get(pk=request.user.pk)
        return Response(UserSerializer(user).data)
