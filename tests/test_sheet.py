"""A place's orientation sheet: the e-mail that sends it, its QR code, the page's actions."""

from urllib.parse import parse_qs, urlsplit

from places import sheet
from tests.factories import PlaceFactory


def test_the_email_holds_the_essentials_and_the_link(db):
    place = PlaceFactory(
        name="La Fabrique",
        street="2 rue des Forges",
        postcode="14000",
        commune="Caen",
        phone="02 31 00 00 00",
        website="https://lafabrique.example",
    )
    link = sheet.mailto(place, "https://annuaire.example/lieux/la-fabrique/")
    parts = urlsplit(link)
    assert parts.scheme == "mailto" and parts.path == ""
    fields = parse_qs(parts.query)
    assert fields["subject"] == ["Un tiers-lieu pour vous : La Fabrique"]
    assert fields["body"][0].splitlines() == [
        "La Fabrique",
        "2 rue des Forges",
        "14000 Caen",
        "Téléphone : 02 31 00 00 00",
        "Site web : https://lafabrique.example",
        "",
        "Sa fiche dans l'annuaire des tiers-lieux : https://annuaire.example/lieux/la-fabrique/",
    ]


def test_the_qr_code_is_an_image_named_after_the_address(client, db):
    svg = sheet.qr_svg("https://annuaire.example/lieux/la-fabrique/")
    assert svg.startswith('<svg role="img" ')
    assert "<title>Code QR de l'adresse de cette fiche : https://annuaire.example/" in svg
    place = PlaceFactory(name="La Fabrique")
    page = client.get(place.get_absolute_url()).content.decode()
    assert "Imprimer la fiche" in page and "Envoyer par e-mail" in page
    assert f"http://testserver/lieux/{place.slug}/" in page  # the printed address
