"""The directory's own settings, plus the benchmark's peer: a stock Django admin (bench.urls)."""

from tierslieux.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
