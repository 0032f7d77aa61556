"""An optional read replica (``DATABASE_REPLICA_URL``): the reads of anonymous visitors' pages go
to it, everything else (writes, migrations, staff, the admin) to the primary.

Reads are routed by request: ``ReplicaRouter`` sends reads to the replica only while a request
marked by ``use_replica`` runs (public pages for anonymous visitors, see places.cache). A staff
member who just saved a change therefore reads it back from the primary, never from a replica
that lags behind.
"""

import contextvars
from contextlib import contextmanager

from django.conf import settings
from django.db import connections

_reading_from_replica = contextvars.ContextVar("reading_from_replica", default=False)


@contextmanager
def use_replica():
    token = _reading_from_replica.set(True)
    try:
        yield
    finally:
        _reading_from_replica.reset(token)


def read_connection():
    """The connection raw SQL reads should use: the replica inside ``use_replica`` when one is
    configured (so that the data version and the data it keys come from the same server)."""
    replica = _reading_from_replica.get() and "replica" in settings.DATABASES
    return connections["replica" if replica else "default"]


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        return read_connection().alias

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the same data on both

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"
