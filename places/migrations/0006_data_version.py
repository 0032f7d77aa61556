"""The data version: one row, incremented by statement-level triggers after any INSERT, UPDATE,
DELETE or TRUNCATE on the directory's tables. Cache keys include it (places/cache.py)."""

from django.db import migrations, models

TABLES = [
    "places_region",
    "places_department",
    "places_place",
    "places_space",
    "places_partner",
    "places_partnership",
    "places_activity",
    "places_photo",
]

CREATE = """
INSERT INTO places_dataversion (id, value) VALUES (1, 1);
CREATE FUNCTION places_bump_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO places_dataversion (id, value) VALUES (1, 1)
        ON CONFLICT (id) DO UPDATE SET value = places_dataversion.value + 1;
    RETURN NULL;
END;
$$;
""" + "".join(
    f"CREATE TRIGGER {table}_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
    f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION places_bump_data_version();\n"
    for table in TABLES
)
DROP = "".join(f"DROP TRIGGER IF EXISTS {table}_data_version ON {table};\n" for table in TABLES) + (
    "DROP FUNCTION IF EXISTS places_bump_data_version();"
)


class Migration(migrations.Migration):
    dependencies = [("places", "0005_search_quality")]

    operations = [
        migrations.CreateModel(
            name="DataVersion",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("value", models.BigIntegerField(default=0)),
            ],
            options={"verbose_name": "version des données", "default_permissions": ()},
        ),
        migrations.RunSQL(CREATE, DROP),
    ]
