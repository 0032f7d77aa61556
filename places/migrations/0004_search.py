"""Search: unaccent and pg_trgm, a French text search configuration blind to accents, and the
stored search columns of places (kept current by places.signals; the census import fills the
columns of places that have none, so a database migrated from 0003 catches up on `make run`)."""

import django.contrib.postgres.indexes
import django.contrib.postgres.search
from django.contrib.postgres.operations import TrigramExtension, UnaccentExtension
from django.db import migrations, models

CREATE_CONFIG = """
CREATE TEXT SEARCH CONFIGURATION tierslieux_fr (COPY = pg_catalog.french);
ALTER TEXT SEARCH CONFIGURATION tierslieux_fr
    ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem;
"""
DROP_CONFIG = "DROP TEXT SEARCH CONFIGURATION IF EXISTS tierslieux_fr;"


class Migration(migrations.Migration):
    dependencies = [("places", "0003_staff_groups")]

    operations = [
        UnaccentExtension(),
        TrigramExtension(),
        migrations.RunSQL(CREATE_CONFIG, DROP_CONFIG),
        migrations.AddField(
            model_name="place",
            name="search_vector",
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="place",
            name="search_text",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        migrations.AddIndex(
            model_name="place",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["search_vector"], name="place_search_vector_gin"
            ),
        ),
        migrations.AddIndex(
            model_name="place",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["search_text"], opclasses=["gin_trgm_ops"], name="place_search_text_trgm"
            ),
        ),
    ]
