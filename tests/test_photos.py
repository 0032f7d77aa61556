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


# What phones and image editors really send
# ---------------------------------------------------------------------------------------------


def saved(content, name):
    form = submit(PlaceFactory(), content, name=name)
    assert form.is_valid(), form.errors
    return form.save()


def test_a_phones_multi_picture_jpeg_keeps_its_first_picture():
    first = Image.new("RGB", (1200, 900), (30, 120, 200))
    second = Image.new("RGB", (320, 240), (250, 250, 0))  # a preview, another colour
    buffer = io.BytesIO()
    first.save(buffer, format="MPO", save_all=True, append_images=[second])
    assert Image.open(io.BytesIO(buffer.getvalue())).format == "MPO"
    photo = saved(buffer.getvalue(), "IMG_2041.JPG")
    with Image.open(photo.image.path) as stored:
        assert stored.format == "JPEG"
        assert stored.size == (1200, 900)
        red, green, blue = stored.getpixel((600, 450))
        assert abs(red - 30) < 8 and abs(green - 120) < 8 and abs(blue - 200) < 8


def test_a_16_bit_png_keeps_its_tones():
    import struct

    # dark-ish grey on the left, light grey on the right (16-bit samples, little-endian)
    row = struct.pack("<H", 20_000) * 200 + struct.pack("<H", 60_000) * 200
    grey = Image.frombytes("I;16", (400, 300), row * 300)
    buffer = io.BytesIO()
    grey.save(buffer, format="PNG")
    photo = saved(buffer.getvalue(), "scan.png")
    with Image.open(photo.image.path) as stored:
        assert stored.mode == "L"
        assert abs(stored.getpixel((100, 150)) - 20_000 // 256) <= 1  # 78, not white
        assert abs(stored.getpixel((300, 150)) - 60_000 // 256) <= 1


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_palette_transparency_is_kept_in_the_photo_and_its_renditions(fmt):
    logo = Image.new("P", (1000, 800), 0)
    logo.putpalette([255, 255, 255, 200, 30, 30] + [0] * 762)
    logo.paste(1, (250, 200, 750, 600))  # a red square on a transparent background
    buffer = io.BytesIO()
    logo.save(buffer, format="PNG", transparency=0)
    converted = io.BytesIO()
    if fmt == "WEBP":
        Image.open(io.BytesIO(buffer.getvalue())).convert("RGBA").save(converted, format="WEBP")
    content = buffer.getvalue() if fmt == "PNG" else converted.getvalue()
    photo = saved(content, f"logo.{fmt.lower()}")
    for field in (photo.image, photo.card, photo.large):
        with Image.open(field.path) as stored:
            rgba = stored.convert("RGBA")
            assert rgba.getpixel((1, 1))[3] == 0, field.name  # still transparent
            middle = rgba.getpixel((rgba.width // 2, rgba.height // 2))
            assert middle[3] == 255 and middle[0] > 150, field.name


def png_header_only(width, height) -> bytes:
    """A PNG whose header announces width × height pixels, with almost no data behind it."""
    import struct
    import zlib

    def chunk(kind, body):
        checksum = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + checksum

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def test_a_30000_pixel_bomb_is_refused_from_its_header_with_our_message():
    form = submit(PlaceFactory(), png_header_only(30_000, 30_000), "bombe.png")
    assert not form.is_valid()
    assert form.errors["image"] == [
        "L'image fait 30000 × 30000 pixels ; le maximum est 40 millions de pixels."
    ]


def test_large_photos_are_stored_at_a_bounded_size():
    photo = saved(image_bytes(size=(6000, 4000)), "grande.jpg")
    assert (photo.width, photo.height) == (2560, 1707)
    with Image.open(photo.large.path) as large, Image.open(photo.card.path) as card:
        assert max(large.size) == 1600 and max(card.size) == 480


PEAK_MEMORY = """
import io, sys, time
import django
from django.conf import settings
settings.configure(PHOTO_MAX_BYTES=50_000_000, PHOTO_MAX_PIXELS=40_000_000, PHOTO_MAX_SIDE=2560,
                   USE_I18N=False)
django.setup()
from django.core.files.uploadedfile import SimpleUploadedFile
from places.images import process_photo
def status(field):  # kB, from the kernel's own accounting of this process
    with open("/proc/self/status") as lines:
        return next(int(line.split()[1]) for line in lines if line.startswith(field + ":"))
data = open(sys.argv[1], "rb").read()
with open("/proc/self/clear_refs", "w") as clear:
    clear.write("5")  # peak resident memory reset to the current one
before = status("VmRSS")
started = time.perf_counter()
process_photo(SimpleUploadedFile("big", data))
elapsed = time.perf_counter() - started
print((status("VmHWM") - before) // 1024, round(elapsed, 2))
"""


@pytest.mark.parametrize(
    ("fmt", "mode", "bound_mb"),
    # About 9 bytes a pixel with transparency (Pillow resamples premultiplied alpha, a second
    # full-size copy), 5.5 opaque, 1.5 for a JPEG: docs/reliability.md
    [("PNG", "RGBA", 400), ("PNG", "RGB", 250), ("JPEG", "RGB", 90)],
)
def test_peak_memory_of_the_largest_accepted_photo_is_bounded(tmp_path, fmt, mode, bound_mb):
    """40 megapixels, as large as accepted: measured in a process of its own (its peak resident
    memory during the processing alone, VmHWM after a reset). A PNG took 592 MB before the
    renditions were chained from a bounded image; a JPEG is decoded at reduced scale."""
    import subprocess
    import sys
    from pathlib import Path

    path = tmp_path / f"big.{fmt.lower()}"
    big = Image.linear_gradient("L").resize((8000, 5000)).convert(mode)
    big.save(path, format=fmt)
    del big
    result = subprocess.run(
        [sys.executable, "-c", PEAK_MEMORY, str(path)],
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    peak_mb, seconds = result.stdout.split()
    print(f"{fmt} {mode} 40 MP: +{peak_mb} MB peak, {seconds} s")
    assert int(peak_mb) < bound_mb


def test_cards_show_the_first_photo_and_the_running_partnerships(client, settings, tmp_path):
    """A card: the 480-pixel rendition of the first photo, lazy, with its alt text and its box
    reserved; the family and the partnerships running today as badges, the illustrative ones
    said. The place page: the photo first with its credit, then the contact block and the
    partnerships summary, before the rest."""
    from places.reference_data import DEMO_PROVENANCE
    from tests.factories import PartnershipFactory

    settings.MEDIA_ROOT = tmp_path
    place = PlaceFactory(name="La Halle", families=["fablab"], website="https://halle.example")
    forms = [
        submit(place, image_bytes(size=(1200, 800)), credit="©François Monnier – Septième Ciel"),
        submit(place, image_bytes(size=(800, 800)), alt_text="L'atelier", order=1),
    ]
    assert all(form.is_valid() for form in forms)
    first, _second = (form.save() for form in forms)
    PartnershipFactory(place=place, kind="tig", provenance=DEMO_PROVENANCE)
    PartnershipFactory(place=place, kind="financement", provenance="Convention 2026")
    text = client.get("/lieux/").text
    card = text[text.index('<article class="card">') : text.index("</article>")]
    assert f'<img class="card-photo" src="{first.card.url}" alt="La grande halle"' in card
    assert 'width="480" height="320" loading="lazy"' in card
    assert '<li class="badge">Fablab / atelier de fabrication numérique</li>' in card
    assert 'Travail d&#x27;intérêt général (TIG) <span class="illustrative">' in card
    assert "Financement / subvention</li>" in card
    assert "Partenariats : données d'illustration" not in card  # said of the one it is
    page = client.get(place.get_absolute_url()).text
    hero = page.index('<figure class="hero')
    assert first.large.url in page[hero : hero + 400]
    assert "©François Monnier – Septième Ciel" in page[hero : page.index("</figure>", hero)]
    contact = page.index('<section class="contact-block"')
    assert hero < contact < page.index('id="partenariats"')
    assert "https://halle.example" in page[contact : page.index("</section>", contact)]
    block = page[contact : page.index("</section>", contact)]
    # one of the two is illustrative: said of that one
    assert "Partenariats publics en cours :" in block
    assert "Travail d&#x27;intérêt général (TIG) (donnée d'illustration)" in block
    assert "Ce sont des données d'illustration" not in block
    assert "Autres photos" in page and "L&#x27;atelier" in page


def test_a_card_whose_running_partnerships_are_all_illustrative_says_so_once(client):
    from places.reference_data import DEMO_PROVENANCE
    from tests.factories import PartnershipFactory

    place = PlaceFactory(name="La Halle", families=["fablab"])
    for kind in ("tig", "financement", "insertion"):
        PartnershipFactory(place=place, kind=kind, provenance=DEMO_PROVENANCE)
    text = client.get("/lieux/").text
    card = text[text.index('<article class="card">') : text.index("</article>")]
    assert card.count("illustration") == 1
    assert '<p class="illustrative">Partenariats : données d&#x27;illustration</p>' in card
    assert "Financement / subvention</li>" in card
