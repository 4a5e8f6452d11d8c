from pathscore.org.models.departments import Department
from pathscore.org.models.users import RoleGrant, User

__all__ = ["Department", "RoleGrant", "User"]
