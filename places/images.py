"""Photo uploads: checked by content, bounded in bytes and pixels, re-encoded without metadata.

Pillow's own decompression-bomb guard only warns below twice its 89-megapixel threshold, so a
100-megapixel PNG would get through; we read the size from the header and refuse before decoding.
Re-encoding from the decoded pixels drops EXIF (GPS included), XMP and ICC comments.
"""

import io
import warnings
from dataclasses import dataclass
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.template.defaultfilters import filesizeformat
from django.utils.text import slugify
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
RENDITIONS = {"card": 480, "large": 1600}


@dataclass
class ProcessedPhoto:
    image: ContentFile
    card: ContentFile
    large: ContentFile
    width: int
    height: int


def process_photo(upload) -> ProcessedPhoto:
    """Validate an uploaded file and return the re-encoded image and its renditions.

    Raises ValidationError with a message for a person; nothing is written anywhere.
    """
    max_bytes = settings.PHOTO_MAX_BYTES
    max_pixels = settings.PHOTO_MAX_PIXELS
    if upload.size > max_bytes:
        raise ValidationError(
            _("Le fichier pèse %(size)s ; le maximum est %(max)s."),
            code="too_large",
            params={"size": filesizeformat(upload.size), "max": filesizeformat(max_bytes)},
        )
    upload.seek(0)
    data = upload.read()
    try:
        with warnings.catch_warnings():
            # Only the header is read here; the size is checked against our own limit below.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))
            fmt = probe.format
            width, height = probe.size
    except Image.DecompressionBombError:
        raise ValidationError(
            _("L'image a trop de pixels ; le maximum est %(max)s millions de pixels."),
            code="too_many_pixels",
            params={"max": max_pixels // 1_000_000},
        ) from None
    except UnidentifiedImageError:
        raise ValidationError(
            _("Ce fichier n'est pas une image JPEG, PNG ou WebP lisible."), code="not_an_image"
        ) from None
    except Exception:  # truncated headers and other decoder errors
        raise ValidationError(
            _("Ce fichier image est illisible ou abîmé."), code="corrupt"
        ) from None
    if fmt not in FORMATS:
        raise ValidationError(
            _("Format %(format)s non accepté : envoyez une image JPEG, PNG ou WebP."),
            code="format",
            params={"format": fmt or "?"},
        )
    if width * height > max_pixels:
        raise ValidationError(
            _("L'image fait %(w)s × %(h)s pixels ; le maximum est %(max)s millions de pixels."),
            code="too_many_pixels",
            params={"w": width, "h": height, "max": max_pixels // 1_000_000},
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            image.load()
            image = ImageOps.exif_transpose(image)
    except Exception:
        raise ValidationError(
            _("Ce fichier image est illisible ou abîmé."), code="corrupt"
        ) from None

    stem = slugify(PurePath(getattr(upload, "name", "") or "photo").stem)[:60] or "photo"
    ext = FORMATS[fmt]
    original = _encode(image, fmt)
    renditions = {}
    for name, size in RENDITIONS.items():
        copy = image.copy()
        copy.thumbnail((size, size), Image.Resampling.LANCZOS)
        renditions[name] = ContentFile(_encode(copy, fmt), name=f"{stem}-{name}.{ext}")
    return ProcessedPhoto(
        image=ContentFile(original, name=f"{stem}.{ext}"),
        card=renditions["card"],
        large=renditions["large"],
        width=image.width,
        height=image.height,
    )


def _encode(image: Image.Image, fmt: str) -> bytes:
    """Encode pixels only: no exif=, no icc_profile=, no pnginfo= — metadata stays behind."""
    if fmt == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    if fmt in ("PNG", "WEBP") and image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
        image = image.convert("RGBA")
    clean = Image.new(image.mode, image.size)
    if image.mode == "P":
        clean.putpalette(image.getpalette())
    clean.paste(image)
    buffer = io.BytesIO()
    options = {"JPEG": {"quality": 85, "optimize": True}, "WEBP": {"quality": 82}, "PNG": {}}[fmt]
    clean.save(buffer, format=fmt, **options)
    return buffer.getvalue()
