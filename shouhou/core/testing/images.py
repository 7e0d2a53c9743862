"""Small real pictures for tests: uploads are decoded (core.uploads.clean_image), so a PNG signature followed
by zeros is no longer a photo. Made with Pillow on import, a few hundred bytes each, already in the form the
uploads store (decoding and writing them again changes no byte)."""

from __future__ import annotations

import io


def picture(fmt: str = "JPEG", size: tuple[int, int] = (8, 6), colour=(200, 30, 30), **save) -> bytes:
    from PIL import Image

    mode = "P" if fmt == "GIF" else "RGB"
    image = Image.new("RGB", size, colour)
    if mode == "P":
        image = image.convert("P")
    out = io.BytesIO()
    image.save(out, fmt, **save)
    return out.getvalue()


def stored_form(data: bytes, kind: str) -> bytes:
    """The picture as the uploads keep it (core.uploads.clean_image): writing it again gives the same bytes, so
    a test may compare what was stored with what was sent."""
    from shouhou.core.uploads import clean_image

    return clean_image(data, kind)


JPEG = stored_form(picture("JPEG"), "jpeg")
PNG = stored_form(picture("PNG"), "png")
GIF = stored_form(picture("GIF"), "gif")
WEBP = stored_form(picture("WEBP"), "webp")


def big_picture(min_bytes: int, fmt: str = "PNG") -> bytes:
    """A real picture of at least min_bytes (random pixels do not compress), for size-limit tests."""
    import os

    from PIL import Image

    side = int((min_bytes / 3) ** 0.5) + 16
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(out, fmt)
    return out.getvalue()
