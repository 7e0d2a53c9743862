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


GPS_LATITUDE = (31.0, 13.0, 49.44)  # 31.2304 N, 121.4737 E: where a customer took the photo (their home)


def phone_photo(fmt: str = "JPEG", size: tuple[int, int] = (12, 8), colour=(10, 120, 200),
                serial: str = "SERIAL-0042") -> bytes:
    """A picture as a phone writes it, stored before uploads were cleaned: EXIF with a GPS position and the
    camera's serial number (JPEG, WebP and PNG carry EXIF), plus a comment for JPEG."""
    from PIL import Image

    image = Image.new("RGB", size, colour)
    exif = Image.Exif()
    exif[0xA431] = serial  # BodySerialNumber
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: GPS_LATITUDE, 3: "E", 4: (121.0, 28.0, 25.32)})
    out = io.BytesIO()
    extra = {"comment": b"taken at home"} if fmt == "JPEG" else {}
    image.save(out, fmt, exif=exif.tobytes(), **extra)
    return out.getvalue()


def carries_gps(data: bytes) -> bool:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        return bool(image.getexif().get_ifd(0x8825)) or "exif" in image.info
