"""Pathscore: sales process assessment for long-cycle B2B companies."""

__version__ = "0.1.0"
