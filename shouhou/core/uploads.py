"""Upload validation by content (magic bytes), shared by every app that accepts photos or spreadsheets."""

from __future__ import annotations

import unicodedata
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


# --- chat attachments: photos and PDF files, judged by content --------------------------------------

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
_CONTENT_TYPES = {"jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp", "gif": "image/gif",
                  "heic": "image/heic", "pdf": "application/pdf"}


@dataclass(frozen=True)
class CheckedFile:
    kind: str  # an image kind (sniff_image) or pdf
    extension: str
    size: int

    @property
    def is_image(self) -> bool:
        return self.kind != "pdf"

    @property
    def content_type(self) -> str:
        return _CONTENT_TYPES[self.kind]


def content_type_for(kind: str) -> str:
    return _CONTENT_TYPES.get(kind, "application/octet-stream")


def sniff_attachment(head: bytes) -> str | None:
    """An accepted chat attachment's kind from its first bytes: a photo or a PDF, else None."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    return sniff_image(head)


def check_attachment(upload, *, max_bytes: int = MAX_ATTACHMENT_BYTES) -> CheckedFile:
    """A photo or a PDF for the chat, judged by its bytes (never by its name); UploadError in Chinese."""
    if upload is None:
        raise UploadError("请选择一张图片或一个 PDF 文件。")
    size = getattr(upload, "size", None)
    if size is None:
        size = len(upload.read())
    if size == 0:
        raise UploadError("文件是空的，请重新选择。")
    if size > max_bytes:
        raise UploadError(f"文件太大（{size / 1024 / 1024:.1f} MB），请发送不超过 {max_bytes // 1024 // 1024} MB 的图片或文件。")
    upload.seek(0)
    kind = sniff_attachment(upload.read(32))
    upload.seek(0)
    if kind is None:
        raise UploadError("只能发送图片（JPG、PNG、WebP、HEIC、GIF）或 PDF 文件。")
    return CheckedFile(kind=kind, extension="pdf" if kind == "pdf" else _EXT[kind], size=size)


def download_name(stored_name: str, kind: str | None) -> str:
    """The name a stored file is served under: its stem with the extension of what its bytes are. The stored
    name can come from outside (an email's attachment name): 「发票.html」 holding "%PDF-" and then a page was
    downloaded as 发票.html and, opened from the downloads, ran its script; now it is 发票.pdf. A file whose
    bytes are no accepted kind is named .bin."""
    name = (stored_name or "").replace("\\", "/").rsplit("/", 1)[-1]
    stem = name.rsplit(".", 1)[0].strip(". ") if "." in name else name.strip(". ")
    extension = "pdf" if kind == "pdf" else _EXT.get(kind or "", "bin")
    return f"{stem or 'file'}.{extension}"


MAX_LABEL_LENGTH = 200


def file_label(raw, kind: str | None = None, *, max_length: int = MAX_LABEL_LENGTH) -> str:
    """The name the sender gave a file, cleaned to be shown (never used as a path): the last part of any path,
    no control characters or separators, Unicode kept (发票.pdf), at most max_length characters. With the kind
    its bytes are, the extension is that kind's (download_name): 「发票.html」 holding a PDF is 「发票.pdf」.
    "" when nothing is left."""
    name = str(raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(" " if ch.isspace() else ch for ch in name
                   if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")).strip()
    if not name.strip(". "):
        return ""
    if kind is not None:
        name = download_name(name, kind)
    if len(name) > max_length:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) < 10:
            name = stem[:max_length - len(extension) - 1].rstrip() + "." + extension
        else:
            name = name[:max_length]
    return name


def file_response(field_file, label: str = ""):
    """Serve a stored upload: the type from its bytes (not its name), pictures inline, other files as a
    download, never sniffed by the browser, and named for what the bytes are; 404 when the file is gone.
    label: the name the sender gave it (Message.attachment_name), used as the download's name when present,
    with the extension of what the bytes are."""
    from django.http import FileResponse, Http404

    try:
        handle = field_file.open("rb")
    except FileNotFoundError:
        raise Http404("文件已丢失") from None
    kind = sniff_attachment(handle.read(32))
    handle.seek(0)
    name = file_label(label, kind) or download_name(field_file.name, kind)
    response = FileResponse(handle, content_type=content_type_for(kind or ""),
                            as_attachment=kind is None or kind == "pdf", filename=name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response
