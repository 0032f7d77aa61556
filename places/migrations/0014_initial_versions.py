"""Every existing record gets a first version (so that the first change shows a diff and can be
undone), and every census place remembers the values the census import gave it (what a later
import compares with, to leave alone what a person changed: places.importing)."""

from django.db import migrations

TRACKED = ["Place", "Space", "Partner", "Partnership", "Activity", "Photo"]
CENSUS = "CGET/ANCT, Mission Coworking"


def first_versions(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        for name in TRACKED:
            model = apps.get_model("places", name)
            history = apps.get_model("places", f"Historical{name}")
            columns = [
                field.column
                for field in history._meta.concrete_fields
                if not field.name.startswith("history_")
            ]
            listed = ", ".join(f'"{column}"' for column in columns)
            source = (
                "CASE WHEN source_name <> '' THEN 'import' ELSE 'command' END"
                if name == "Place"
                else "'command'"
            )
            cursor.execute(
                f'INSERT INTO "{history._meta.db_table}" ({listed}, history_date, history_type, '
                "history_change_reason, history_source) "
                f"SELECT {listed}, now(), '+', %s, {source} FROM \"{model._meta.db_table}\"",
                ["État initial"],
            )
        cursor.execute(
            """
            UPDATE places_place SET imported_values = jsonb_build_object(
                'name', name, 'street', street, 'postcode', postcode, 'commune', commune,
                'insee_code', insee_code, 'department', department_id,
                'latitude', latitude::text, 'longitude', longitude::text,
                'website', website, 'families', to_jsonb(families))
             WHERE source_name = %s AND source_id <> ''
            """,
            [CENSUS],
        )


class Migration(migrations.Migration):
    dependencies = [("places", "0013_history_merges_freshness")]
    operations = [migrations.RunPython(first_versions, migrations.RunPython.noop)]
