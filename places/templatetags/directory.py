"""Template helpers of the public pages."""

from django import template
from django.urls import translate_url
from django.utils.html import escape, format_html, format_html_join, json_script
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, ngettext

from places import charts
from places.search import MARK_START, MARK_STOP

register = template.Library()


@register.filter
def highlight(snippet: str) -> str:
    """A search snippet, HTML-escaped, with the matched words in <mark>."""
    if not snippet:
        return ""
    html = escape(snippet).replace(MARK_START, "<mark>").replace(MARK_STOP, "</mark>")
    return mark_safe(html)  # noqa: S308 (escaped above; only our own marks become tags)


@register.filter
def has_highlight(snippet: str) -> bool:
    return bool(snippet) and MARK_START in snippet


@register.simple_tag(takes_context=True)
def url_in_language(context, language: str) -> str:
    """The current page in another language (same query string)."""
    request = context["request"]
    return translate_url(request.get_full_path(), language)


@register.simple_tag(takes_context=True)
def absolute_url(context, path: str | None = None) -> str:
    request = context["request"]
    return request.build_absolute_uri(path if path is not None else request.path)


@register.simple_tag(takes_context=True)
def place_json_ld(context, place) -> str:
    """schema.org Place, with its address and coordinates, as a JSON-LD script element."""
    request = context["request"]
    data = {
        "@context": "https://schema.org",
        "@type": "Place",
        "name": place.name,
        "url": request.build_absolute_uri(place.get_absolute_url()),
        "address": {
            "@type": "PostalAddress",
            "streetAddress": place.street or None,
            "postalCode": place.postcode or None,
            "addressLocality": place.commune or None,
            "addressRegion": place.department.region.name,
            "addressCountry": "FR",
        },
    }
    if place.summary:
        data["description"] = place.summary
    if place.latitude is not None:
        data["geo"] = {
            "@type": "GeoCoordinates",
            "latitude": float(place.latitude),
            "longitude": float(place.longitude),
        }
    if place.website:
        data["sameAs"] = place.website
    data["address"] = {k: v for k, v in data["address"].items() if v is not None}
    # json_script escapes <, > and & so that the data cannot close the script element.
    html = json_script(data)
    return mark_safe(html.replace('type="application/json"', 'type="application/ld+json"'))


@register.filter
def illustrative_only(badges) -> bool:
    """Whether every (label, illustrative) badge is illustrative: then said once, not each time."""
    return bool(badges) and all(illustrative for _label, illustrative in badges)


@register.simple_tag
def data_lang() -> str:
    """` lang="fr"` on an element holding what places wrote (in French), on pages in another
    language: screen readers then read it with French pronunciation."""
    return "" if get_language() == "fr" else mark_safe(' lang="fr"')  # noqa: S308 (a constant)


# What a facet's options count, said after the number to screen readers
COUNTED = {
    "places": lambda count: ngettext("lieu", "lieux", count),
    "spaces": lambda count: ngettext("espace", "espaces", count),
}


@register.filter
def number(value) -> str:
    """A count as the page's language writes it, grouped: « 1 512 », "1,512"."""
    return charts.number(value)


@register.simple_tag
def facet_count(count: int, counted: str = "places") -> str:
    """An option's count after its label: « Calvados (14) · 4 » on screen, « …, 4 lieux » read
    aloud (a code in brackets and a count in brackets read alike)."""
    return format_html(
        '<span class="count"><span aria-hidden="true">· </span>{}'
        '<span class="visually-hidden"> {}</span></span>',
        number(count),
        COUNTED[counted](count),
    )


@register.simple_tag
def facet_options(facet) -> str:
    """The checkboxes of a facet's options: one ``format_html`` each rather than a dozen
    template nodes (a facet can offer 100 départements and 150 partners), each count written
    once per facet (many options share one: 150 partners with a few places each)."""
    counts = {}
    for option in facet.options:
        if option.count not in counts:
            counts[option.count] = facet_count(option.count)
    return format_html_join(
        "\n",
        '<li><input type="checkbox" name="{0}" value="{1}" id="f-{0}-{1}"{2}>'
        '<label for="f-{0}-{1}">{3} {4}</label></li>',
        (
            (
                facet.name,
                option.value,
                mark_safe(" checked") if option.selected else "",  # noqa: S308 (a constant)
                option.label,
                counts[option.count],
            )
            for option in facet.options
        ),
    )
