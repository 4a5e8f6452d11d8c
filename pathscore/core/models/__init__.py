from pathscore.core.models.base import BaseModel, Revisioned
from pathscore.core.models.options import Option
from pathscore.core.models.security import SecurityEvent

__all__ = ["BaseModel", "Option", "Revisioned", "SecurityEvent"]
