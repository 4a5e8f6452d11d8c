"""A bare Django REST framework view doing the follow-up INSERT and nothing else: the
floor the API benchmark compares Pathscore's create-follow-up endpoint with. Same
database, same gunicorn, same client; no authentication, validation, scoping, history or
middleware."""
