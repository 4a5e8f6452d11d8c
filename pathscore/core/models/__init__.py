from pathscore.core.models.base import BaseModel
from pathscore.core.models.security import SecurityEvent

__all__ = ["BaseModel", "SecurityEvent"]
