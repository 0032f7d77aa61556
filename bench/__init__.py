"""The load-test harness (`make bench`): never imported by the apps, never run in production."""
