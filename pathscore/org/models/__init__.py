from pathscore.org.models.departments import Department
from pathscore.org.models.robots import DepartmentRobot
from pathscore.org.models.tokens import ApiToken, TokenScope
from pathscore.org.models.users import RoleGrant, User

__all__ = ["ApiToken", "Department", "DepartmentRobot", "RoleGrant", "TokenScope", "User"]
