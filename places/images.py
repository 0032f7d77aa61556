"""Photo uploads: checked by content, bounded in bytes, pixels and memory, re-encoded without
metadata.

- The size in pixels is read from the file's header by the format's own parser, before anything
  is decoded and without Pillow's decompression-bomb guard (which only warns below twice its
  89-megapixel threshold, and otherwise fails with its own message): a 30,000 × 30,000 bomb is
  refused with our message and its dimensions, having cost a few bytes of header.
- Memory: a JPEG is decoded directly at the reduced scale it will be stored at (the JPEG
  decoder's draft mode, 1/2 to 1/8); every image is stored at most ``PHOTO_MAX_SIDE`` pixels wide
  or high and each rendition is made from the previous, smaller one, never from a copy of the
  full image. Peak memory for the largest accepted PNG is pinned in tests/test_photos.py.
- Phones' multi-picture JPEGs (MPO) are accepted: the first picture is kept, as a JPEG.
- 16-bit images are scaled to 8 bits (not clipped to white); a palette or grey image with
  transparency keeps it (RGBA) in PNG and WebP; a JPEG gets its transparent areas on white.
- Re-encoding from the decoded pixels drops EXIF (GPS included), XMP and ICC comments.
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
from PIL import (
    Image,
    ImageOps,
    JpegImagePlugin,
    PngImagePlugin,
    UnidentifiedImageError,
    WebPImagePlugin,
)

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
    image = _open_header(data)
    width, height = image.size
    if width * height > max_pixels:
        raise ValidationError(
            _("L'image fait %(w)s × %(h)s pixels ; le maximum est %(max)s millions de pixels."),
            code="too_many_pixels",
            params={"w": width, "h": height, "max": max_pixels // 1_000_000},
        )
    fmt = "JPEG" if image.format == "MPO" else image.format
    side = settings.PHOTO_MAX_SIDE
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            if image.format == "MPO":
                image.seek(0)  # the main picture; the others are previews or depth maps
            if fmt == "JPEG":  # decoded at 1/2…1/8 scale when still at least the stored size
                scale = min(1.0, side / max(width, height))
                image.draft(image.mode, (round(width * scale), round(height * scale)))
            image.load()
            image = _eight_bit(image, fmt)
            image.thumbnail((side, side), Image.Resampling.LANCZOS, reducing_gap=3.0)
            image = ImageOps.exif_transpose(image)
    except ValidationError:
        raise
    except Exception:
        raise ValidationError(
            _("Ce fichier image est illisible ou abîmé."), code="corrupt"
        ) from None

    stem = slugify(PurePath(getattr(upload, "name", "") or "photo").stem)[:60] or "photo"
    ext = FORMATS[fmt]
    original = _encode(image, fmt)
    renditions = {}
    smaller = image
    for name, size in sorted(RENDITIONS.items(), key=lambda item: -item[1]):
        smaller = smaller.copy() if smaller is image else smaller
        smaller.thumbnail((size, size), Image.Resampling.LANCZOS, reducing_gap=3.0)
        renditions[name] = ContentFile(_encode(smaller, fmt), name=f"{stem}-{name}.{ext}")
    return ProcessedPhoto(
        image=ContentFile(original, name=f"{stem}.{ext}"),
        card=renditions["card"],
        large=renditions["large"],
        width=image.width,
        height=image.height,
    )


_MAGIC = (
    (lambda data: data.startswith(b"\x89PNG\r\n\x1a\n"), PngImagePlugin.PngImageFile),
    (lambda data: data.startswith(b"\xff\xd8\xff"), JpegImagePlugin.jpeg_factory),
    (lambda data: data[:4] == b"RIFF" and data[8:12] == b"WEBP", WebPImagePlugin.WebPImageFile),
)


def _open_header(data: bytes) -> Image.Image:
    """The image with only its header parsed (format, mode, size), nothing decoded yet."""
    for matches, parser in _MAGIC:
        if matches(data):
            try:
                return parser(io.BytesIO(data))
            except Exception:  # truncated headers and other parser errors
                raise ValidationError(
                    _("Ce fichier image est illisible ou abîmé."), code="corrupt"
                ) from None
    try:  # another format: name it in the refusal
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as other:
                fmt = other.format
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError):
        fmt = None
    if fmt is None:
        raise ValidationError(
            _("Ce fichier n'est pas une image JPEG, PNG ou WebP lisible."), code="not_an_image"
        )
    raise ValidationError(
        _("Format %(format)s non accepté : envoyez une image JPEG, PNG ou WebP."),
        code="format",
        params={"format": fmt},
    )


def _eight_bit(image: Image.Image, fmt: str) -> Image.Image:
    """Pixels every encoder here takes, 8 bits a channel, transparency kept where it can be."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        # 16-bit grey: 0…65535 scaled to 0…255 (a plain convert would clip it to white)
        image = image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    elif image.mode == "F" or image.mode == "1":
        image = image.convert("L")
    elif image.mode in ("P", "PA"):
        transparent = "transparency" in image.info or image.mode == "PA"
        image = image.convert("RGBA" if transparent else "RGB")
    elif image.mode in ("L", "RGB") and "transparency" in image.info:
        image = image.convert("LA" if image.mode == "L" else "RGBA")
    elif image.mode not in ("L", "LA", "RGB", "RGBA"):
        image = image.convert("RGB")  # CMYK, YCbCr, LAB…
    if fmt == "JPEG" and image.mode in ("LA", "RGBA"):
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image, mask=image.getchannel("A"))
        image = background
    return image


def _encode(image: Image.Image, fmt: str) -> bytes:
    """Encode pixels only: no exif=, no icc_profile=, no pnginfo= — metadata stays behind.
    The pixels are taken as they are (``_eight_bit`` made them encodable); alpha is kept."""
    clean = Image.new(image.mode, image.size)
    clean.paste(image)
    buffer = io.BytesIO()
    options = {"JPEG": {"quality": 85, "optimize": True}, "WEBP": {"quality": 82}, "PNG": {}}[fmt]
    clean.save(buffer, format=fmt, **options)
    return buffer.getvalue()
