from django import forms

from places.images import process_photo
from places.models import Photo


class PhotoForm(forms.ModelForm):
    """Admin photo form: the upload is validated, then replaced by its clean re-encoding."""

    class Meta:
        model = Photo
        fields = ["image", "alt_text", "caption", "credit", "order"]
        # A plain file field: Django's ImageField would decode the file with Pillow before
        # process_photo reads its header, and answer a bomb with a generic message.
        field_classes = {"image": forms.FileField}

    def clean_image(self):
        image = self.cleaned_data.get("image")
        self._processed = None
        if image and "image" in self.changed_data:
            self._processed = process_photo(image)
            return self._processed.image
        return image

    def save(self, commit=True):
        processed = getattr(self, "_processed", None)
        if processed:
            self.instance.card.save(processed.card.name, processed.card, save=False)
            self.instance.large.save(processed.large.name, processed.large, save=False)
        return super().save(commit=commit)
