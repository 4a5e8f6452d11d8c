"""The scale generator: a deterministic company of a given size (``pathscore seed --scale``).

Sizes are in :mod:`.sizes`; :func:`.generator.generate` writes the company with bulk
inserts (see :mod:`.bulk`), one app's records after another, every row as the services
would have written it.
"""
