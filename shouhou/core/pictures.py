"""Pictures stored before every upload was cleaned (core/uploads.clean_image, core/storage.CleanPictureStorage)
still carry what a phone wrote into them: EXIF with the GPS position of the customer's home, the camera's serial
number, comments, bytes after the picture. `pictures_clean` walks every stored file of every model's file fields
and writes each picture again through the same cleaner, in place.

- Set-based and bounded: the rows are read as (pk, name) pairs in primary-key order, a chunk at a time, and one
  file at a time is in memory (files over MAX_FILE_BYTES are listed, not read).
- Idempotent: a picture that carries nothing but its pixels is not written again (`picture_is_clean`: JPEG and
  WebP are lossy, so writing a clean one again would only lose quality and change its bytes on every run).
- Resumable: the last primary key done of each field is kept in a progress file in the data dir; a run stopped
  half-way goes on from there, a run that finishes removes it.
- Never destructive: a file is replaced atomically (written next to it, then renamed over it); a file that no
  longer decodes (damaged, a fake picture, HEIC, too many pixels) is kept as it is and listed, a missing file is
  listed. Files that are not pictures (PDF, spreadsheets) are left alone.
"""

from __future__ import annotations

import json
import os
import struct
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models

from shouhou.core import uploads

MAX_FILE_BYTES = 64 * 1024 * 1024
CHUNK = 500
PROGRESS_NAME = "clean_pictures.progress.json"


@dataclass
class Problem:
    label: str  # "cases.caseevidence.file #12"
    name: str  # the stored name
    reason: str


@dataclass
class CleanReport:
    examined: int = 0
    cleaned: int = 0  # written again (or, on a dry run, would be)
    already_clean: int = 0
    not_pictures: int = 0
    undecodable: list[Problem] = field(default_factory=list)
    missing: list[Problem] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)
    resumed: bool = False


def file_fields() -> list[tuple[type[models.Model], models.FileField]]:
    """Every concrete model's FileField/ImageField (ImageField is one), in a stable order."""
    found = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        for model_field in model._meta.concrete_fields:
            if isinstance(model_field, models.FileField):
                found.append((model, model_field))
    return sorted(found, key=lambda pair: (pair[0]._meta.label_lower, pair[1].name))


def shop_lookup(model: type[models.Model]) -> str | None:
    """The query path from a model to its shop's code ("shop__code", "case__shop__code"), or None."""
    names = {f.name: f for f in model._meta.concrete_fields}
    shop = names.get("shop")
    if shop is not None and shop.is_relation and shop.related_model._meta.label_lower == "commerce.shop":
        return "shop__code"
    for model_field in model._meta.concrete_fields:
        if isinstance(model_field, models.ForeignKey):
            related = {f.name: f for f in model_field.related_model._meta.concrete_fields}
            via = related.get("shop")
            if via is not None and via.is_relation and via.related_model._meta.label_lower == "commerce.shop":
                return f"{model_field.name}__shop__code"
    return None


# --- is a stored picture clean? -------------------------------------------------------------------------

_JPEG_KEPT_APP = {0xE0, 0xE2, 0xEE}  # APP0 (JFIF), APP2 (ICC profile), APP14 (Adobe colour transform)
_WEBP_KEPT = {b"VP8 ", b"VP8L", b"VP8X", b"ALPH", b"ANIM", b"ANMF", b"ICCP"}


def _jpeg_is_clean(data: bytes) -> bool:
    """Only picture segments, the JFIF/ICC/Adobe headers and nothing after the end marker: no EXIF/XMP (APP1),
    IPTC (APP13), other APPn, or comment (COM)."""
    if not data.startswith(b"\xff\xd8"):
        return False
    at, end = 2, len(data)
    while at < end:
        if data[at] != 0xFF:
            return False
        marker = data[at + 1] if at + 1 < end else None
        if marker is None:
            return False
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker == 0xD9:  # end of image: nothing may follow
            return at + 2 == end
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            at += 2
            continue
        if at + 4 > end:
            return False
        length = struct.unpack(">H", data[at + 2:at + 4])[0]
        if marker == 0xFE or (0xE0 <= marker <= 0xEF and marker not in _JPEG_KEPT_APP):
            return False
        at += 2 + length
        if marker == 0xDA:  # start of scan: entropy-coded data up to the next real marker
            while at < end - 1:
                if data[at] == 0xFF and data[at + 1] != 0x00 and not 0xD0 <= data[at + 1] <= 0xD7:
                    break
                at += 1
            else:
                return False
    return False


def _webp_is_clean(data: bytes) -> bool:
    """Only image chunks (no EXIF or XMP chunk) and nothing after the RIFF container."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        return False
    if struct.unpack("<I", data[4:8])[0] + 8 != len(data):
        return False
    at = 12
    while at + 8 <= len(data):
        kind = data[at:at + 4]
        if kind not in _WEBP_KEPT:
            return False
        size = struct.unpack("<I", data[at + 4:at + 8])[0]
        at += 8 + size + (size & 1)
    return at == len(data)


def picture_is_clean(data: bytes, kind: str, cleaned: bytes) -> bool:
    """Whether the stored picture carries nothing clean_image would take away. `cleaned` is clean_image(data):
    the lossless kinds (PNG, GIF) are clean when writing them again changes no byte; JPEG and WebP are lossy
    (writing them again never gives the same bytes), so their structure is read instead."""
    if cleaned == data:
        return True
    if kind == "jpeg":
        return _jpeg_is_clean(data)
    if kind == "webp":
        return _webp_is_clean(data)
    return False


# --- the walk --------------------------------------------------------------------------------------------

def _progress_path() -> Path:
    return Path(settings.DATA_DIR) / PROGRESS_NAME


def _load_progress(*, scope: str) -> dict:
    try:
        saved = json.loads(_progress_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(saved, dict) or saved.get("scope") != scope or not isinstance(saved.get("done"), dict):
        return {}
    return saved["done"]


def _save_progress(*, scope: str, done: dict) -> None:
    path = _progress_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps({"scope": scope, "done": done}), encoding="utf-8")
    os.replace(temporary, path)


def _replace_in_place(storage: FileSystemStorage, name: str, data: bytes) -> None:
    """Write `data` over the stored file atomically: a stop half-way leaves the old file whole."""
    target = Path(storage.path(name))
    mode = target.stat().st_mode & 0o777
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".clean-", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _clean_one(storage, name: str, label: str, report: CleanReport, *, dry_run: bool) -> None:
    report.examined += 1
    try:
        size = storage.size(name)
        if size > MAX_FILE_BYTES:
            with storage.open(name, "rb") as handle:
                kind = uploads.sniff_image(handle.read(32))
            if kind is None:
                report.not_pictures += 1
            else:
                report.undecodable.append(Problem(label, name, f"文件太大（超过 {MAX_FILE_BYTES // 1024 // 1024} MB），未读取"))
            return
        with storage.open(name, "rb") as handle:
            data = handle.read()
    except (FileNotFoundError, NotADirectoryError):
        report.missing.append(Problem(label, name, "文件已丢失"))
        return
    kind = uploads.sniff_image(data[:32])
    if kind is None:
        report.not_pictures += 1
        return
    try:
        cleaned = uploads.clean_image(data, kind)
    except uploads.UploadError as refused:
        report.undecodable.append(Problem(label, name, str(refused)))
        return
    if picture_is_clean(data, kind, cleaned):
        report.already_clean += 1
        return
    report.cleaned += 1
    if not dry_run:
        _replace_in_place(storage, name, cleaned)


def pictures_clean(*, dry_run: bool = False, shop_code: str | None = None, restart: bool = False,
                   chunk: int = CHUNK) -> CleanReport:
    """Write every stored picture again without its metadata (see the module's doc). `shop_code`: only the files
    of that shop's rows (models with no way to a shop are left out then)."""
    report = CleanReport()
    scope = f"shop:{shop_code or '*'}"
    done = {} if restart or dry_run else _load_progress(scope=scope)
    report.resumed = bool(done)
    for model, model_field in file_fields():
        key = f"{model._meta.label_lower}.{model_field.name}"
        rows = model._default_manager.exclude(**{model_field.name: ""}).exclude(
            **{f"{model_field.name}__isnull": True})
        if shop_code is not None:
            lookup = shop_lookup(model)
            if lookup is None:
                continue
            rows = rows.filter(**{lookup: shop_code})
        report.fields.append(key)
        storage = model_field.storage
        after = done.get(key)
        while True:
            page = rows.order_by("pk")
            if after is not None:
                page = page.filter(pk__gt=after)
            batch = list(page.values_list("pk", model_field.name)[:chunk])
            if not batch:
                break
            for pk, name in batch:
                _clean_one(storage, name, f"{key} #{pk}", report, dry_run=dry_run)
            after = batch[-1][0]
            after = after if isinstance(after, int) else str(after)
            if not dry_run:
                done[key] = after
                _save_progress(scope=scope, done=done)
    if not dry_run:
        _progress_path().unlink(missing_ok=True)
    return report
