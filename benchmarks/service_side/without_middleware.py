"""The rendered service with its middleware taken out, to measure what it costs.

BENCHMARK_PACKAGE names the service's package. Starlette builds the middleware
stack on the first request, so clearing the list before then removes it all.
"""

from __future__ import annotations

import importlib
import os

from fastapi import FastAPI


def create_app() -> FastAPI:
    main = importlib.import_module(f"{os.environ['BENCHMARK_PACKAGE']}.main")
    app: FastAPI = main.create_app()
    app.user_middleware.clear()
    return app
