from django.conf import settings


def directory(request):
    """Settings every public page may need: the map's tiles and the error-report address."""
    return {
        "MAP_TILES_URL": settings.MAP_TILES_URL,
        "MAP_ATTRIBUTION": settings.MAP_ATTRIBUTION,
        "DIRECTORY_CONTACT_EMAIL": settings.DIRECTORY_CONTACT_EMAIL,
    }
