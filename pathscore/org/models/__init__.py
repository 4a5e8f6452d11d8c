from pathscore.org.models.departments import Department
from pathscore.org.models.robots import DepartmentRobot
from pathscore.org.models.users import RoleGrant, User

__all__ = ["Department", "DepartmentRobot", "RoleGrant", "User"]
