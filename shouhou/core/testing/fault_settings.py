"""Settings for the fault tests' subprocesses: the project's settings plus the fault URLs and the
database-unavailable middleware first in line."""

from shouhou.config.settings import *  # noqa: F403
from shouhou.config.settings import MIDDLEWARE

ROOT_URLCONF = "shouhou.core.testing.faults"
MIDDLEWARE = ["shouhou.core.middleware.DatabaseUnavailableMiddleware", *MIDDLEWARE]
