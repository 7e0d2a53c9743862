"""Upload validation by content (magic bytes), shared by every app that accepts photos or spreadsheets."""

from __future__ import annotations

from dataclasses import dataclass

MAX_IMAGE_BYTES = 10 * 1024 * 1024

# Spreadsheet signatures (order and review imports judge a file by these, not by its name).
ZIP_MAGIC = b"PK\x03\x04"  # .xlsx is a zip archive
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # old .xls (OLE2)


class UploadError(ValueError):
    """A refused upload; the message is shown to the user as is (Chinese)."""


@dataclass(frozen=True)
class CheckedImage:
    kind: str  # jpeg, png, webp, heic, gif
    extension: str
    size: int


def sniff_image(head: bytes) -> str | None:
    """Return the image kind from the first bytes, or None when it is not an accepted image."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"heim", b"heis", b"hevc"):
        return "heic"
    return None


_EXT = {"jpeg": "jpg", "png": "png", "webp": "webp", "gif": "gif", "heic": "heic"}


def check_image(upload, *, max_bytes: int = MAX_IMAGE_BYTES) -> CheckedImage:
    """Validate an uploaded file (Django UploadedFile or any object with read/seek/size).

    Raises UploadError with a clear Chinese message."""
    if upload is None:
        raise UploadError("请选择一张照片。")
    size = getattr(upload, "size", None)
    if size is None:
        data = upload.read()
        size = len(data)
        upload.seek(0)
    if size == 0:
        raise UploadError("照片是空文件，请重新拍摄或选择。")
    if size > max_bytes:
        raise UploadError(f"照片太大（{size / 1024 / 1024:.1f} MB），请上传不超过 {max_bytes // 1024 // 1024} MB 的照片。")
    upload.seek(0)
    head = upload.read(32)
    upload.seek(0)
    kind = sniff_image(head)
    if kind is None:
        raise UploadError("文件不是支持的图片格式，请上传 JPG、PNG、WebP、HEIC 或 GIF 照片。")
    return CheckedImage(kind=kind, extension=_EXT[kind], size=size)
