"""The warm-up gunicorn's master runs before forking its workers (tierslieux/warmup.py)."""

import sys

from django.template import engines

from tierslieux.warmup import warm_up


def test_the_warm_up_reads_the_code_and_templates_without_the_database():
    """No ``db`` fixture: pytest-django refuses any database access, as the master must not
    open a connection its forked workers would share. Every template is read: one that does
    not compile stops the server's start rather than a visitor's page."""
    warm_up()
    assert "places.views" in sys.modules and "opendata.api_urls" in sys.modules
    assert engines["django"].get_template("places/place_list.html")
