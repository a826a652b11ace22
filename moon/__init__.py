"""moon: the project package. Configuration lives in its modules (settings, urls, celery,
wsgi/asgi); ``moon.lib`` is shared infrastructure, ``moon.operations`` and ``moon.web`` are
apps. Importing the package loads nothing, so pure modules may use ``moon.lib`` freely."""
