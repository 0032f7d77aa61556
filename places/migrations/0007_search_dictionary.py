"""The search dictionary: the words the published places contain, to correct typos against
(places.search). Filled here from the existing search columns; refresh_search keeps it current."""

import django.contrib.postgres.indexes
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("places", "0006_data_version"),
    ]

    operations = [
        migrations.CreateModel(
            name="SearchWord",
            fields=[
                (
                    "word",
                    models.CharField(
                        max_length=100, primary_key=True, serialize=False, verbose_name="mot"
                    ),
                ),
                ("places", models.PositiveIntegerField(default=0, verbose_name="lieux")),
            ],
            options={
                "verbose_name": "mot du dictionnaire de recherche",
                "verbose_name_plural": "mots du dictionnaire de recherche",
                "ordering": ["word"],
                "default_permissions": (),
                "indexes": [
                    django.contrib.postgres.indexes.GinIndex(
                        fields=["word"], name="searchword_word_trgm", opclasses=["gin_trgm_ops"]
                    )
                ],
            },
        ),
        migrations.RunSQL(
            """
            INSERT INTO places_searchword (word, places)
            SELECT w.word, w.ndoc FROM ts_stat($$
                SELECT to_tsvector('simple', concat_ws(' ', p.search_text, lower(unaccent(p.summary))))
                FROM places_place AS p WHERE p.status = 'published'
            $$) AS w
            WHERE w.word ~ '[a-z]' AND length(w.word) BETWEEN 2 AND 100
            """,
            migrations.RunSQL.noop,
        ),
    ]
