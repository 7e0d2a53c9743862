from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def photo(data: bytes = JPEG, name: str = "photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def raw(data: bytes) -> io.BytesIO:
    return io.BytesIO(data)
