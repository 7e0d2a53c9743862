"""The file storage of uploads: no picture is written with its metadata or with anything behind it.

core.uploads.check_image / check_attachment decode and re-encode a photo when it is checked; a caller that
stores the bytes it received instead of the clean ones (an email attachment, a WeChat or 微信客服 media file)
would still keep the EXIF — GPS position of a customer's home — or a page behind a PNG. Every save of a
file whose bytes start like a picture passes clean_image here, so the property holds for every FileField and
every caller, also one added later. Bytes that clean_image already wrote in this process are stored as they
are (a JPEG is not compressed twice). A file that starts like a picture but cannot be decoded (a HEIC, a damaged
or fake image) is stored as received: refusing it here would lose the customer's message mid-way; it is served
never sniffed and sandboxed (core.uploads.harden_file_response)."""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage

from shouhou.core import uploads


class CleanPictureStorage(FileSystemStorage):
    def _save(self, name, content):
        kind = None
        if hasattr(content, "seek") and hasattr(content, "read"):
            content.seek(0)
            kind = uploads.sniff_image(content.read(32))
            content.seek(0)
        if kind is not None and kind != "heic":
            data = content.read()
            content.seek(0)
            if not uploads.recently_cleaned(data):
                try:
                    cleaned = uploads.clean_image(data, kind)
                except uploads.UploadError:
                    cleaned = None
                if cleaned is not None:
                    content = ContentFile(cleaned)
        return super()._save(name, content)
