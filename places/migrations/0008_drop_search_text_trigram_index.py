"""The trigram index on search_text served the trigram fallback for typos, replaced by the
dictionary of places.search (0007): nothing queries it any more, and it cost every write."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("places", "0007_search_dictionary"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="place",
            name="place_search_text_trgm",
        ),
    ]
