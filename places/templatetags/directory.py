"""Template helpers of the public pages."""

import functools
from dataclasses import dataclass

from django import template
from django.template.defaultfilters import floatformat
from django.urls import translate_url
from django.utils.html import escape, format_html, format_html_join, json_script
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext, ngettext

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
    """The current page in another language (same query string): once a page for each
    language, which the page asks twice (its alternate links, its language menu)."""
    request = context["request"]
    urls = request.__dict__.setdefault("_urls_in_language", {})
    if language not in urls:
        urls[language] = translate_url(request.get_full_path(), language)
    return urls[language]


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
    return _facet_count(count, counted, get_language())


@functools.lru_cache(maxsize=4096)
def _facet_count(count: int, counted: str, language: str) -> str:
    # Written once per count and language: a page counts about 300 options, mostly with the
    # same small numbers, and formatting a number in the language's style, then choosing the
    # plural of « lieu », is most of an option's cost.
    return format_html(
        '<span class="count"><span aria-hidden="true">· </span>{}'
        '<span class="visually-hidden"> {}</span></span>',
        number(count),
        COUNTED[counted](count),
    )


@register.simple_tag
def facet_options(facet) -> str:
    """The checkboxes of a facet's options (a facet can offer 100 départements and 150
    partners): each option's escaped markup is built once per label and language
    (``_option_html``), then joined with its count and state, rather than a dozen template
    nodes or a ``format_html`` per option and request."""
    language = get_language()
    return mark_safe(  # noqa: S308 (parts escaped by format_html in _option_html and _facet_count)
        "\n".join(
            "".join(
                (
                    _option_html(facet.name, option.value, option.label, option.selected),
                    _facet_count(option.count, "places", language),
                    "</label></li>",
                )
            )
            for option in facet.options
        )
    )


@functools.lru_cache(maxsize=8192)
def _option_html(name: str, value: str, label: str, selected: bool) -> str:
    """An option's markup up to its count: its checkbox, then the start of its label."""
    return format_html(
        '<li><input type="checkbox" name="{0}" value="{1}" id="f-{0}-{1}"{2}>'
        '<label for="f-{0}-{1}">{3} ',
        name,
        value,
        mark_safe(" checked") if selected else "",  # noqa: S308 (a constant)
        label,
    )


@register.simple_tag
def place_cards(places) -> str:
    """Places read ``for_cards`` as the items of a list of results (the directory, the home
    page), each a card. Built here with ``format_html``, as the admin builds its result rows
    (``admin_list.items_for_result``), rather than with an included template: a page shows 50
    cards, and the template engine's cost per node and per lookup made them a fifth of a full
    page's time. What every card says alike is translated once per page."""
    words = CardWords(
        closed=format_html(' <span class="status ended">{}</span>', gettext("fermé")),
        families=gettext("Familles"),
        partnerships=gettext("Partenariats publics en cours"),
        illustrative=format_html(
            ' <span class="illustrative">({})</span>', gettext("donnée d'illustration")
        ),
        all_illustrative=format_html(
            '<p class="illustrative">{}</p>', gettext("Partenariats : données d'illustration")
        ),
        lang=data_lang(),
    )
    return format_html_join("\n", "<li>{}</li>", ((_place_card(place, words),) for place in places))


@dataclass(frozen=True)
class CardWords:
    closed: str
    families: str
    partnerships: str
    illustrative: str
    all_illustrative: str
    lang: str


def _place_card(place, words: CardWords) -> str:
    photo = place.card_photo
    image = ""
    if photo and photo.card:
        size = photo.card_size
        image = format_html(
            '<img class="card-photo" src="{}" alt="{}"{} loading="lazy" decoding="async">',
            photo.card.url,
            photo.alt_text,
            format_html(' width="{}" height="{}"', *size) if size else "",
        )
    distance = ""
    if place.distance_km is not None:
        distance = format_html(
            '<p class="distance">{}</p>',
            gettext("à %(km)s km") % {"km": floatformat(place.distance_km, -1)},
        )
    families = ""
    if place.families:
        families = format_html(
            '<ul class="badges" aria-label="{}">{}</ul>',
            words.families,
            format_html_join(
                "", '<li class="badge">{}</li>', ((label,) for label in place.family_labels())
            ),
        )
    return format_html(
        '<article class="card">{}<h3><a href="{}">{}</a>{}</h3>{}'
        '<p class="muted">{}{} · {}</p>{}{}{}</article>',
        image,
        place.get_absolute_url(),
        place.name,
        words.closed if place.is_closed else "",
        distance,
        f"{place.commune}, " if place.commune else "",
        place.department.name,
        place.department.region.name,
        families,
        _partnership_badges(place.partnership_badges(), words),
        _card_text(place, words),
    )


def _partnership_badges(badges: list[tuple[str, bool]], words: CardWords) -> str:
    """The kinds of partnership running today, each said illustrative when it is, or once
    for all when every one is."""
    if not badges:
        return ""
    every_one = illustrative_only(badges)
    items = format_html_join(
        "",
        '<li class="badge">{}{}</li>',
        (
            (label, words.illustrative if illustrative and not every_one else "")
            for label, illustrative in badges
        ),
    )
    return format_html(
        '<ul class="badges partnership-badges" aria-label="{}">{}</ul>{}',
        words.partnerships,
        items,
        words.all_illustrative if every_one else "",
    )


def _card_text(place, words: CardWords) -> str:
    """The words found, highlighted, else the place's summary (in French: ``data_lang``)."""
    if has_highlight(place.snippet):
        return format_html('<p class="snippet"{}>{}</p>', words.lang, highlight(place.snippet))
    if place.summary:
        return format_html("<p{}>{}</p>", words.lang, place.summary)
    return ""
