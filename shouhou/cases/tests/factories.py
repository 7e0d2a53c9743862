from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile

from shouhou.core.testing import images

# Whole, decodable pictures already in the form the uploads store them (core.uploads.clean_image writes them
# again byte for byte), so a test may compare a stored photo with the one it sent.
GIF, JPEG, PNG, WEBP = images.GIF, images.JPEG, images.PNG, images.WEBP


def photo(data: bytes = JPEG, name: str = "photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def raw(data: bytes) -> io.BytesIO:
    return io.BytesIO(data)
