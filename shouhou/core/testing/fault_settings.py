"""Settings for the fault tests' subprocesses: the project's settings plus the fault URLs and the
database-unavailable middleware first in line. Notification providers come from JSON environment
variables so a test can point the real adapters at its local gateway stub."""

import json
import os

from shouhou.config.settings import *  # noqa: F403
from shouhou.config.settings import MIDDLEWARE

ROOT_URLCONF = "shouhou.core.testing.faults"
MIDDLEWARE = ["shouhou.core.middleware.DatabaseUnavailableMiddleware", *MIDDLEWARE]

SHOUHOU_NOTIFY_CHANNELS = json.loads(os.environ.get("SHOUHOU_FAULT_NOTIFY_CHANNELS", "{}"))
SHOUHOU_NOTIFY_PROVIDERS = json.loads(os.environ.get("SHOUHOU_FAULT_NOTIFY_PROVIDERS", "{}"))
SHOUHOU_NOTIFY_BACKOFF_BASE_SECONDS = float(os.environ.get("SHOUHOU_FAULT_BACKOFF_SECONDS", "60"))
SHOUHOU_NOTIFY_QUIET_START = 24  # no quiet hours: the test must not depend on the time of day
SHOUHOU_NOTIFY_QUIET_END = 0
