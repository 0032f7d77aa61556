import datetime

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from places.models import (
    Activity,
    ActivityKind,
    Department,
    Family,
    Partner,
    PartnerLevel,
    Partnership,
    PartnershipKind,
    Place,
    PublicationStatus,
    Space,
    SpaceKind,
)


def department(code):
    """Départements are facts loaded by a migration: look them up, never invent them."""
    return Department.objects.get(code=code)


class PlaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Place

    name = factory.Sequence(lambda n: f"Tiers-lieu d'essai {n}")
    commune = "Caen"
    postcode = "14000"
    insee_code = "14118"
    department = factory.LazyFunction(lambda: department("14"))
    families = factory.LazyFunction(lambda: [Family.COWORKING])
    status = PublicationStatus.PUBLISHED
    latitude = 49.18
    longitude = -0.37


# Communes outside the factory's default (Caen, Calvados): (INSEE code, postcode, département)
COMMUNES = {
    "Lyon": ("69381", "69001", "69"),
    "Ajaccio": ("2A004", "20000", "2A"),
    "Montpellier": ("34172", "34000", "34"),
    "Caen": ("14118", "14000", "14"),
    "Colombelles": ("14167", "14460", "14"),
    "Rennes": ("35238", "35000", "35"),
}


def place_in(commune: str, **fields) -> Place:
    """A place in one of COMMUNES, with its INSEE code, postcode and département."""
    insee_code, postcode, code = COMMUNES[commune]
    return PlaceFactory(
        commune=commune,
        insee_code=insee_code,
        postcode=postcode,
        department=department(code),
        **fields,
    )


class SpaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Space

    place = factory.SubFactory(PlaceFactory)
    name = factory.Sequence(lambda n: f"Salle {n}")
    kind = SpaceKind.SALLE_REUNION
    surface = 40
    capacity = 20


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partner

    name = factory.Sequence(lambda n: f"Organisme public {n}")
    slug = factory.Sequence(lambda n: f"organisme-public-{n}")
    level = PartnerLevel.OPERATEUR


class PartnershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partnership

    place = factory.SubFactory(PlaceFactory)
    partner = factory.SubFactory(PartnerFactory)
    kind = PartnershipKind.INSERTION
    start_date = datetime.date(2023, 1, 1)
    provenance = "Convention de test"


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activity

    place = factory.SubFactory(PlaceFactory)
    title = factory.Sequence(lambda n: f"Atelier {n}")
    kind = ActivityKind.ATELIER
    audiences = factory.LazyFunction(lambda: ["tous-publics"])


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"personne{n}")
    password = factory.django.Password("un mot de passe solide 42")
    is_staff = True

    @factory.post_generation
    def group(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted))
