#!/usr/bin/env python
"""Django's management entry point, for developers; operators use the ``pathscore`` command."""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pathscore.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
