"""Upload validation by content, shared by every app that accepts photos or spreadsheets.

Photos are not only sniffed (first bytes) but decoded and written again with Pillow (`clean_image`): a PNG
header in front of an HTML page or a zip (polyglot, GIFAR) leaves only the picture, a decompression bomb is
refused from its header before any pixel is decoded, and the metadata a phone writes into a photo (EXIF: the GPS
position of the customer's home, the phone's serial number) is not kept. check_image / check_attachment give the
clean bytes (`.data`) and put them in the upload itself, so a caller that reads the upload afterwards stores
them."""

from __future__ import annotations

import hashlib
import io
import struct
import unicodedata
import warnings
from collections import OrderedDict
from dataclasses import dataclass, field

from django.utils.translation import gettext

MAX_IMAGE_BYTES = 10 * 1024 * 1024
# The most pixels a photo may have (all frames of an animation together): a 48-megapixel phone photo passes;
# a 1-KB PNG that claims 100,000 × 100,000 pixels (a decompression bomb, 40 GB once decoded) is refused from
# its header, before anything is decoded.
MAX_IMAGE_PIXELS = 50_000_000
MAX_IMAGE_FRAMES = 200
JPEG_QUALITY = 90

# Spreadsheet signatures (order and review imports judge a file by these, not by its name).
ZIP_MAGIC = b"PK\x03\x04"  # .xlsx is a zip archive
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # old .xls (OLE2)


class UploadError(ValueError):
    """A refused upload; the message is shown to the user as is (Chinese)."""


@dataclass(frozen=True)
class CheckedImage:
    kind: str  # jpeg, png, webp, gif
    extension: str
    size: int  # of the clean bytes
    data: bytes = field(default=b"", repr=False)  # the picture decoded and written again (clean_image)


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
        raise UploadError("文件不是支持的图片格式，请上传 JPG、PNG、WebP 或 GIF 照片。")
    data = _cleaned(upload, kind)
    return CheckedImage(kind=kind, extension=_EXT[kind], size=len(data), data=data)


# --- decoding and re-encoding ------------------------------------------------------------------------

_PIL_FORMATS = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP", "gif": "GIF"}


def _not_a_picture() -> UploadError:
    return UploadError(gettext("照片已损坏或不是真正的图片，请重新拍摄或选择一张照片。"))


def clean_image(data: bytes, kind: str) -> bytes:
    """The picture in `data` (of the sniffed `kind`) decoded and written again in the same format: only the
    pixels are kept (and the colour profile); EXIF/GPS, comments, XMP and any bytes after the picture are not.
    A JPEG's EXIF orientation is applied first, so the photo stays upright. UploadError (translated) when the
    bytes are not a whole picture of that kind, are too many pixels, or are a HEIC (Pillow cannot read it)."""
    if kind == "heic":
        raise UploadError(gettext("暂不支持 HEIC 格式的照片，请在手机相机设置中选择「兼容性最佳」，或截图后上传 JPG/PNG。"))
    from PIL import Image, ImageOps, UnidentifiedImageError

    expected = _PIL_FORMATS.get(kind)
    if expected is None:
        raise _not_a_picture()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[expected]) as probe:
                width, height = probe.size
                frames = getattr(probe, "n_frames", 1) or 1
                if width <= 0 or height <= 0 or frames > MAX_IMAGE_FRAMES \
                        or width * height * frames > MAX_IMAGE_PIXELS:
                    raise _too_many_pixels(width, height)
                probe.verify()  # structure and checksums, before any pixel is decoded
            with Image.open(io.BytesIO(data), formats=[expected]) as image:
                return _encode(image, expected, frames, ImageOps)
    except UploadError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(0, 0) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, TypeError, IndexError, KeyError,
            EOFError, MemoryError, struct.error):
        raise _not_a_picture() from None


def _too_many_pixels(width: int, height: int) -> UploadError:
    if width and height:
        return UploadError(gettext("照片像素太多（%(width)s×%(height)s），请上传不超过 %(most)s 万像素的照片。") % {
            "width": width, "height": height, "most": MAX_IMAGE_PIXELS // 10_000})
    return UploadError(gettext("照片像素太多，请上传不超过 %(most)s 万像素的照片。") % {
        "most": MAX_IMAGE_PIXELS // 10_000})


def _encode(image, pil_format: str, frames: int, image_ops) -> bytes:
    """Only the pixels again: every copy is given an empty `info` (Pillow writes a JPEG or GIF comment, EXIF and
    XMP from it when saving)."""
    from PIL import ImageSequence

    out = io.BytesIO()
    icc = image.info.get("icc_profile")
    extra = {"icc_profile": icc} if icc and pil_format in ("JPEG", "PNG", "WEBP") else {}
    if pil_format == "WEBP":
        extra["quality"] = JPEG_QUALITY
    if pil_format == "JPEG":
        image.load()
        upright = image_ops.exif_transpose(image)  # applies the EXIF orientation, so the photo stays upright
        if upright.mode not in ("RGB", "L", "CMYK"):
            upright = upright.convert("RGB")
        upright = upright.copy()
        upright.info = {}
        upright.save(out, "JPEG", quality=JPEG_QUALITY, **extra)
        return out.getvalue()
    pictures, durations = [], []
    for frame in ImageSequence.Iterator(image):
        durations.append(frame.info.get("duration", 0))
        copy = frame.copy()
        copy.info = {}
        pictures.append(copy)
    if pil_format == "GIF" and "transparency" in image.info and frames == 1:
        extra["transparency"] = image.info["transparency"]
    if len(pictures) > 1:  # an animated GIF or WebP: every frame again, their timing, nothing else
        extra.update(save_all=True, append_images=pictures[1:], duration=durations, loop=image.info.get("loop", 0))
    pictures[0].save(out, pil_format, **extra)
    return out.getvalue()


# Digests of the pictures clean_image wrote lately in this process: the storage (core/storage.py) stores them as
# they are instead of decoding and re-encoding a JPEG a second time.
_RECENTLY_CLEANED: OrderedDict[bytes, None] = OrderedDict()
_RECENT_LIMIT = 256


def remember_clean(data: bytes) -> None:
    key = hashlib.sha256(data).digest()
    _RECENTLY_CLEANED[key] = None
    _RECENTLY_CLEANED.move_to_end(key)
    while len(_RECENTLY_CLEANED) > _RECENT_LIMIT:
        _RECENTLY_CLEANED.popitem(last=False)


def recently_cleaned(data: bytes) -> bool:
    return hashlib.sha256(data).digest() in _RECENTLY_CLEANED


def _cleaned(upload, kind: str) -> bytes:
    """The upload's picture, clean (clean_image), also written back into the upload (its file object), so
    whoever reads it next stores the clean bytes. An upload cleaned once is not cleaned again (the portal checks
    before the case service stores it)."""
    marker = getattr(upload, "_shouhou_clean", None)
    upload.seek(0)
    raw = upload.read()
    upload.seek(0)
    if marker is not None and marker == (kind, len(raw)):
        return raw
    data = clean_image(raw, kind)
    remember_clean(data)
    _replace_content(upload, data)
    try:
        upload._shouhou_clean = (kind, len(data))
    except AttributeError:  # an object that takes no attributes: it is cleaned again if checked again
        pass
    return data


def _replace_content(upload, data: bytes) -> None:
    """Put `data` in place of the upload's bytes (Django UploadedFile / ContentFile / File, or a plain file)."""
    handle = getattr(upload, "file", None) or upload
    try:
        handle.seek(0)
        handle.truncate()
        handle.write(data)
        handle.flush()
        handle.seek(0)
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        if hasattr(upload, "file"):
            upload.file = io.BytesIO(data)
        else:
            raise
    if hasattr(upload, "size"):
        try:
            upload.size = len(data)
        except AttributeError:
            pass
    upload.seek(0)


# --- chat attachments: photos and PDF files, judged by content --------------------------------------

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
_CONTENT_TYPES = {"jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp", "gif": "image/gif",
                  "heic": "image/heic", "pdf": "application/pdf"}


@dataclass(frozen=True)
class CheckedFile:
    kind: str  # an image kind (sniff_image) or pdf
    extension: str
    size: int
    data: bytes = field(default=b"", repr=False)  # what to store: a photo's clean bytes (clean_image), a PDF as sent

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
    """A photo or a PDF for the chat, judged by its bytes (never by its name); UploadError in the reader's language
    (the customer's chat page, the agent's desk: before 2026-12-07 always Chinese)."""
    if upload is None:
        raise UploadError(gettext("请选择一张图片或一个 PDF 文件。"))
    size = getattr(upload, "size", None)
    if size is None:
        size = len(upload.read())
    if size == 0:
        raise UploadError(gettext("文件是空的，请重新选择。"))
    if size > max_bytes:
        raise UploadError(gettext("文件太大（%(size)s MB），请发送不超过 %(limit)s MB 的图片或文件。") % {
            "size": f"{size / 1024 / 1024:.1f}", "limit": max_bytes // 1024 // 1024})
    upload.seek(0)
    kind = sniff_attachment(upload.read(32))
    upload.seek(0)
    if kind is None:
        raise UploadError(gettext("只能发送图片（JPG、PNG、WebP、GIF）或 PDF 文件。"))
    if kind == "pdf":
        upload.seek(0)
        data = upload.read()
        upload.seek(0)
    else:
        data = _cleaned(upload, kind)
    return CheckedFile(kind=kind, extension="pdf" if kind == "pdf" else _EXT[kind], size=len(data), data=data)


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
    harden_file_response(response)
    response["Cache-Control"] = "private, max-age=3600"
    return response


# A stored file opened at its own address is a document of our origin: should a browser ever render one as a
# page (an old file stored before clean_image, a PDF viewer's script), it runs in a sandbox with nothing allowed.
FILE_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"


def harden_file_response(response):
    """Headers for any response that serves an uploaded file: never sniffed, and sandboxed by its own
    Content-Security-Policy (django-csp keeps a header a response already has)."""
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = FILE_CSP
    return response
