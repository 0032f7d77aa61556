"""make backup / make restore: a database and its photos saved, wiped, and found again."""

import io
import tarfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from PIL import Image

from places import cache
from places.forms import PhotoForm
from places.models import Partner, Partnership, Photo, Place
from tests.factories import PartnershipFactory, PlaceFactory, SpaceFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def photo_of(place):
    buffer = io.BytesIO()
    Image.new("RGB", (900, 600), (40, 120, 90)).save(buffer, format="JPEG")
    form = PhotoForm(
        data={"alt_text": "La grande halle", "order": 0},
        files={"image": SimpleUploadedFile("halle.jpg", buffer.getvalue())},
        instance=Photo(place=place),
    )
    assert form.is_valid(), form.errors
    return form.save()


def test_backup_wipe_restore_finds_every_place_partnership_and_photo(tmp_path, settings):
    wip = PlaceFactory(name="Le Wip")
    SpaceFactory(place=wip, name="La halle")
    PartnershipFactory(place=wip)
    PlaceFactory.create_batch(3)
    photo = photo_of(wip)
    files = sorted(
        p.relative_to(settings.MEDIA_ROOT) for p in Path(settings.MEDIA_ROOT).rglob("*.jpg")
    )
    assert len(files) == 3  # the photo and its two renditions
    before = {"places": 4, "partnerships": 1, "photos": 1}

    out = io.StringIO()
    call_command("backup", dir=str(tmp_path), stdout=out)
    archive = next(tmp_path.glob("tierslieux-*.tar"))
    assert archive.name in out.getvalue()
    with tarfile.open(archive) as tar:
        assert {"database.dump", "media.tar", "manifest.json"} <= set(tar.getnames())

    # wiped: the database and the photos
    Place.objects.all().delete()
    Partner.objects.all().delete()
    for path in Path(settings.MEDIA_ROOT).rglob("*.jpg"):
        path.unlink()
    PlaceFactory(name="Saisi après la sauvegarde")
    version_after_wipe = cache.data_version()

    call_command("restore", str(archive), yes=True, stdout=io.StringIO())
    assert Place.objects.count() == before["places"]
    assert Partnership.objects.count() == before["partnerships"]
    assert not Place.objects.filter(name="Saisi après la sauvegarde").exists()
    restored = Photo.objects.get()
    assert restored.pk == photo.pk and restored.place.name == "Le Wip"
    for field in (restored.image, restored.card, restored.large):
        with Image.open(field.path) as image:
            assert image.format == "JPEG"
    assert (
        sorted(p.relative_to(settings.MEDIA_ROOT) for p in Path(settings.MEDIA_ROOT).rglob("*.jpg"))
        == files
    )
    # no page cached before the restoration can be served after it
    assert cache.data_version() > version_after_wipe
    assert Place.objects.get(name="Le Wip").spaces.get().name == "La halle"


def test_a_file_that_is_not_a_backup_changes_nothing(tmp_path):
    PlaceFactory(name="Le Wip")
    junk = tmp_path / "photos.tar"
    with tarfile.open(junk, "w") as tar:
        data = b"hello"
        info = tarfile.TarInfo("hello.txt")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    (tmp_path / "broken.tar").write_bytes(b"not a tar at all")
    for path, message in ((junk, "not a backup"), (tmp_path / "broken.tar", "cannot be read")):
        with pytest.raises(CommandError, match=message):
            call_command("restore", str(path), yes=True)
    with pytest.raises(CommandError, match="No such file"):
        call_command("restore", str(tmp_path / "absent.tar"), yes=True)
    assert Place.objects.get().name == "Le Wip"
