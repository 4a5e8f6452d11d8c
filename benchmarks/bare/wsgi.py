"""gunicorn benchmarks.bare.wsgi:application"""

import os

from django.core.wsgi import get_wsgi_application

os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.bare.settings"
application = get_wsgi_application()
