"""Photo uploads through the admin form: content checked, sizes bounded, metadata stripped."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from places.forms import PhotoForm
from places.models import Photo
from tests.factories import PlaceFactory

pytestmark = pytest.mark.django_db


def image_bytes(fmt="JPEG", size=(800, 600), exif_gps=False, mode="RGB"):
    image = Image.new(mode, size, (200, 80, 40) if mode == "RGB" else 0)
    buffer = io.BytesIO()
    options = {}
    if exif_gps:
        exif = Image.Exif()
        exif[0x010F] = "Appareil de test"  # Make
        exif[0x8825] = {1: "N", 2: (49.0, 11.0, 30.0), 3: "W", 4: (0.0, 18.0, 27.0)}  # GPSInfo
        options["exif"] = exif
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def submit(place, content, name="photo.jpg", **data):
    form = PhotoForm(
        data={"alt_text": "La grande halle", "order": 0, **data},
        files={"image": SimpleUploadedFile(name, content)},
        instance=Photo(place=place),
    )
    return form


def test_jpeg_is_reencoded_without_metadata_and_renditions_are_made():
    place = PlaceFactory()
    content = image_bytes(exif_gps=True, size=(2400, 1800))
    assert Image.open(io.BytesIO(content)).getexif().get(0x8825)  # the source has GPS
    form = submit(place, content, credit="©François Monnier – Septième Ciel")
    assert form.is_valid(), form.errors
    photo = form.save()
    with Image.open(photo.image.path) as stored:
        assert stored.format == "JPEG"
        assert not stored.getexif()
        assert "exif" not in stored.info
    with Image.open(photo.card.path) as card, Image.open(photo.large.path) as large:
        assert max(card.size) == 480
        assert max(large.size) == 1600
    assert (photo.width, photo.height) == (2400, 1800)
    assert photo.credit == "©François Monnier – Septième Ciel"


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_png_and_webp_are_accepted(fmt):
    form = submit(PlaceFactory(), image_bytes(fmt=fmt), name=f"photo.{fmt.lower()}")
    assert form.is_valid(), form.errors
    photo = form.save()
    assert Image.open(photo.image.path).format == fmt


def test_file_too_large_is_refused(settings):
    settings.PHOTO_MAX_BYTES = 10_000
    form = submit(PlaceFactory(), image_bytes(size=(1500, 1500)) + b"\0" * 20_000)
    assert not form.is_valid()
    assert "maximum" in form.errors["image"][0]
    assert Photo.objects.count() == 0


def test_too_many_pixels_is_refused_before_decoding(settings):
    settings.PHOTO_MAX_PIXELS = 1_000_000
    form = submit(PlaceFactory(), image_bytes(fmt="PNG", size=(1200, 1000), mode="L"), "a.png")
    assert not form.is_valid()
    assert "pixels" in form.errors["image"][0]


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")  # Django's own check
def test_decompression_bomb_png_is_refused():
    """A 100-megapixel PNG compresses to a few hundred kB; Pillow alone would only warn."""
    content = image_bytes(fmt="PNG", size=(10_000, 10_000), mode="1")
    assert len(content) < 2_000_000
    form = submit(PlaceFactory(), content, "bomb.png")
    assert not form.is_valid()
    assert "pixels" in " ".join(form.errors["image"])
    assert Photo.objects.count() == 0


def test_wrong_format_is_refused():
    form = submit(PlaceFactory(), image_bytes(fmt="GIF"), "anim.gif")
    assert not form.is_valid()
    assert "JPEG, PNG ou WebP" in " ".join(form.errors["image"])


def test_fake_extension_is_refused():
    form = submit(PlaceFactory(), b"%PDF-1.4 not an image at all" * 10, "photo.jpg")
    assert not form.is_valid()
    assert Photo.objects.count() == 0


def test_alt_text_is_required():
    form = PhotoForm(
        data={"alt_text": "", "order": 0},
        files={"image": SimpleUploadedFile("p.jpg", image_bytes())},
        instance=Photo(place=PlaceFactory()),
    )
    assert not form.is_valid()
    assert "alt_text" in form.errors
