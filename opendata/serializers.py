"""The directory's records as the API and the JSON export give them: stable French keys, the
vocabularies' keys as values (their labels: /api/v1/vocabulaires/), absolute URLs, and the
provenance of every partnership and activity (``illustratif`` for demo data)."""

from operator import attrgetter

from django.urls import reverse
from rest_framework import serializers

from places.reference_data import DEMO_PROVENANCE


def absolute(serializer, path: str) -> str:
    request = serializer.context.get("request")
    return request.build_absolute_uri(path) if request is not None else path


class SpaceSerializer(serializers.Serializer):
    nom = serializers.CharField(source="name")
    type = serializers.CharField(source="kind")
    surface = serializers.IntegerField(allow_null=True, help_text="m²")
    capacite = serializers.IntegerField(source="capacity", allow_null=True)
    reservable = serializers.BooleanField(source="bookable")
    description = serializers.CharField()


class PartnerSerializer(serializers.Serializer):
    slug = serializers.CharField()
    nom = serializers.CharField(source="name")
    niveau = serializers.CharField(source="level")
    code_departement = serializers.CharField(source="department.code", allow_null=True)
    code_region = serializers.CharField(source="region.code", allow_null=True)
    site_web = serializers.CharField(source="website")
    url = serializers.SerializerMethodField()

    def get_url(self, partner) -> str:
        return absolute(self, partner.get_absolute_url())


class PartnershipSerializer(serializers.Serializer):
    partenaire = serializers.CharField(source="partner.name")
    partenaire_slug = serializers.CharField(source="partner.slug")
    niveau = serializers.CharField(source="partner.level")
    nature = serializers.CharField(source="kind")
    debut = serializers.DateField(source="start_date")
    fin = serializers.DateField(source="end_date", allow_null=True)
    en_cours = serializers.SerializerMethodField()
    description = serializers.CharField()
    provenance = serializers.CharField()
    illustratif = serializers.SerializerMethodField()
    # TIG partnerships
    postes_tig = serializers.IntegerField(source="posts", allow_null=True)
    mineurs_acceptes = serializers.BooleanField(source="minors_accepted", allow_null=True)
    taches = serializers.CharField(source="tasks")
    encadrement = serializers.CharField(source="supervision")
    # insertion partnerships
    publics_recus = serializers.ListField(
        source="audiences_received", child=serializers.CharField()
    )
    programme = serializers.CharField()
    # both: a service's address, never a person's
    contact_service = serializers.CharField(source="service_contact")

    def get_en_cours(self, partnership) -> bool:
        return partnership.is_active()

    def get_illustratif(self, record) -> bool:
        return record.provenance == DEMO_PROVENANCE


class PlacePartnershipSerializer(PartnershipSerializer):
    """A partnership listed on its own: with its place."""

    lieu_slug = serializers.CharField(source="place.slug")
    lieu_nom = serializers.CharField(source="place.name")
    lieu_url = serializers.SerializerMethodField()
    code_departement = serializers.CharField(source="place.department.code")

    def get_lieu_url(self, partnership) -> str:
        return absolute(self, partnership.place.get_absolute_url())


class ActivitySerializer(serializers.Serializer):
    titre = serializers.CharField(source="title")
    type = serializers.CharField(source="kind")
    description = serializers.CharField()
    debut = serializers.DateTimeField(source="starts_at", allow_null=True)
    fin = serializers.DateTimeField(source="ends_at", allow_null=True)
    recurrence = serializers.CharField()
    publics = serializers.ListField(source="audiences", child=serializers.CharField())
    gratuit = serializers.BooleanField(source="is_free")
    lien_inscription = serializers.CharField(source="registration_url")
    provenance = serializers.CharField()
    illustratif = serializers.SerializerMethodField()

    def get_illustratif(self, record) -> bool:
        return record.provenance == DEMO_PROVENANCE


class PlaceSerializer(serializers.Serializer):
    slug = serializers.CharField()
    nom = serializers.CharField(source="name")
    resume = serializers.CharField(source="summary")
    description = serializers.CharField()
    familles = serializers.ListField(source="families", child=serializers.CharField())
    type_gestion = serializers.CharField(source="management_type")
    cycle_de_vie = serializers.CharField(source="lifecycle")
    date_ouverture = serializers.DateField(source="opening_date", allow_null=True)
    date_fermeture = serializers.DateField(source="closing_date", allow_null=True)
    adresse = serializers.CharField(source="street")
    code_postal = serializers.CharField(source="postcode")
    commune = serializers.CharField()
    code_insee = serializers.CharField(source="insee_code")
    departement = serializers.CharField(source="department.code")
    code_region = serializers.CharField(source="department.region.code")
    region = serializers.CharField(source="department.region.name")
    latitude = serializers.FloatField(allow_null=True)
    longitude = serializers.FloatField(allow_null=True)
    ouvert_au_public = serializers.BooleanField(source="open_to_public", allow_null=True)
    conditions_acces = serializers.CharField(source="access_notes")
    horaires = serializers.CharField(
        source="opening_hours", help_text="syntaxe OpenStreetMap opening_hours"
    )
    accessible_fauteuil = serializers.BooleanField(source="step_free_access", allow_null=True)
    toilettes_adaptees = serializers.BooleanField(source="accessible_toilets", allow_null=True)
    boucle_magnetique = serializers.BooleanField(source="hearing_loop", allow_null=True)
    fiche_acceslibre = serializers.CharField(source="acceslibre_url")
    site_web = serializers.CharField(source="website")
    courriel = serializers.CharField(source="email")
    telephone = serializers.CharField(source="phone")
    surface_terrain = serializers.IntegerField(source="land_area", allow_null=True)
    surface_batie = serializers.IntegerField(source="built_area", allow_null=True)
    usage_anterieur = serializers.CharField(source="former_use")
    source = serializers.CharField(source="source_name")
    source_id = serializers.CharField()
    source_date = serializers.DateField(allow_null=True)
    source_licence = serializers.CharField()
    verifie_le = serializers.DateField(source="last_verified", allow_null=True)
    url = serializers.SerializerMethodField()
    distance_km = serializers.SerializerMethodField(
        help_text="distance à la commune de « pres » (à vol d'oiseau) ; null sans « pres »"
    )
    espaces = SpaceSerializer(source="space_list", many=True)
    partenariats = PartnershipSerializer(source="partnership_list", many=True)
    activites = ActivitySerializer(source="activity_list", many=True)

    def get_url(self, place) -> str:
        page_url = self.context.get("page_url")  # a whole file: the pattern reversed once
        return page_url(place) if page_url else absolute(self, place.get_absolute_url())

    def get_distance_km(self, place) -> float | None:
        distance = getattr(place, "distance_km", None)
        return None if distance is None else round(distance, 2)


class TerritorySerializer(serializers.Serializer):
    code = serializers.CharField()
    nom = serializers.CharField(source="name")
    slug = serializers.CharField()
    lieux = serializers.IntegerField(source="place_count", help_text="lieux publiés")
    url = serializers.SerializerMethodField()
    lieux_url = serializers.SerializerMethodField(help_text="la liste de ses lieux dans l'API")

    def get_url(self, territory) -> str:
        return absolute(self, territory.get_absolute_url())

    def get_lieux_url(self, territory) -> str:
        parameter = "departement" if hasattr(territory, "region_id") else "region"
        value = territory.code if parameter == "departement" else territory.slug
        return absolute(self, f"{reverse('api:places')}?{parameter}={value}")


class DepartmentSerializer(TerritorySerializer):
    code_region = serializers.CharField(source="region.code")


class LabelSerializer(serializers.Serializer):
    cle = serializers.CharField()
    fr = serializers.CharField()
    en = serializers.CharField()


def compiled(serializer: serializers.Serializer):
    """``serializer``'s representation of an object as one plain function: the same keys and
    values as ``serializer.to_representation`` for records whose attributes all exist (ours),
    at a fraction of the cost (DRF walks each source path with checks made for any object).
    For the exports of every place, where the serializer's own overhead was half of the time."""
    steps = []
    for name, field in serializer.fields.items():
        if isinstance(field, serializers.SerializerMethodField):
            steps.append((name, getattr(serializer, field.method_name), None))
        elif isinstance(field, serializers.ListSerializer):
            child, items = compiled(field.child), attrgetter(".".join(field.source_attrs))
            steps.append((name, lambda obj, c=child, i=items: [c(item) for item in i(obj)], None))
        else:
            steps.append((name, attrgetter(".".join(field.source_attrs)), field.to_representation))

    def represent(obj) -> dict:
        data = {}
        for name, get, convert in steps:
            value = get(obj)
            data[name] = value if convert is None or value is None else convert(value)
        return data

    return represent
