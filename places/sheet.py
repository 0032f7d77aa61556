"""A place's orientation sheet: what a public agent prints or sends to the person they orient.
The printout (the print stylesheet in static/css/site.css) carries the page's address and its
QR code; « Envoyer par e-mail » opens a message with the essentials and the link."""

from urllib.parse import quote

import segno
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _


def qr_svg(url: str) -> str:
    """The QR code of ``url`` as inline SVG (segno, error correction M), named for assistive
    technologies."""
    title = _("Code QR de l'adresse de cette fiche : %(url)s") % {"url": url}
    svg = segno.make(url, error="m").svg_inline(scale=4, border=2, title=title)  # escapes it
    return mark_safe(svg.replace("<svg ", '<svg role="img" ', 1))  # noqa: S308


def mailto(place, url: str) -> str:
    """A ``mailto:`` whose subject names the place and whose body holds its address, contacts
    and the link to its page."""
    lines = [place.name]
    address = " ".join(part for part in (place.postcode, place.commune) if part)
    lines += [line for line in (place.street, address) if line]
    if place.phone:
        lines.append(_("Téléphone : %(phone)s") % {"phone": place.phone})
    if place.email:
        lines.append(_("Courriel : %(email)s") % {"email": place.email})
    if place.website:
        lines.append(_("Site web : %(url)s") % {"url": place.website})
    lines += ["", _("Sa fiche dans l'annuaire des tiers-lieux : %(url)s") % {"url": url}]
    subject = _("Un tiers-lieu pour vous : %(name)s") % {"name": place.name}
    return f"mailto:?subject={quote(subject)}&body={quote(chr(10).join(lines))}"
