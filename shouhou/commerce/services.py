"""Writes to shop data. The order-export import lives here: orders_import() for a file on disk (CLI,
bench), import_job_submit() for an upload (web, API), import_job_run() for the background task."""

from __future__ import annotations

import importlib
import logging
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from shouhou.accounts.actors import acting_user, require_role
from shouhou.accounts.permissions import IMPORT
from shouhou.commerce.importers.runner import ImportFileError, file_digest, validate
from shouhou.commerce.importers.runner import chunks as read_chunks
from shouhou.commerce.importers.writer import WriteStats, write_chunk
from shouhou.commerce.models import ImportJob, Shop
from shouhou.core.clock import now

log = logging.getLogger(__name__)

CHUNK_ROWS = 2000
ASYNC_THRESHOLD_BYTES = 2 * 1024 * 1024  # uploads larger than this run as a background task


def _notify_orders_placed(shop: Shop, order_ids: list[int]) -> None:
    """Tell notifications about new orders, if that app offers the hook (it is built in parallel)."""
    if not order_ids:
        return
    try:
        module = importlib.import_module("shouhou.notifications.services")
    except ModuleNotFoundError:
        return
    hook = getattr(module, "notify_orders_placed", None)
    if hook is not None:
        hook(shop=shop, order_ids=order_ids)


def _fail(job: ImportJob, text: str) -> ImportJob:
    job.status = ImportJob.Status.FAILED
    job.errors = [{"row": None, "field": "", "message": text, "text": text}]
    job.error_count = 1
    job.finished_at = now()
    job.save()
    return job


def _run(job: ImportJob, path: Path) -> ImportJob:
    """Validate (pass 1), then write in chunks (pass 2) inside one transaction."""
    mapping = job.mapping or None
    job.status = ImportJob.Status.RUNNING
    job.digest = job.digest or file_digest(path)
    earlier = (ImportJob.objects.filter(shop=job.shop, digest=job.digest, status=ImportJob.Status.DONE)
               .exclude(pk=job.pk).order_by("-pk").values_list("pk", flat=True).first())
    job.save(update_fields=["status", "digest", "updated_at"])
    try:
        checked = validate(path, mapping, name=job.filename)
    except ImportFileError as exc:
        return _fail(job, str(exc))
    job.total_rows, job.ok_rows = checked.total_rows, checked.ok_rows
    job.errors, job.error_count = checked.errors, checked.error_count
    job.summary = {"columns": checked.labels, "same_file_as_job": earlier, "ignored_columns": checked.ignored,
                   "missing_columns": checked.missing_important}
    if checked.total_rows == 0:
        return _fail(job, "文件里没有数据行")
    if checked.error_count and not job.allow_partial:
        job.status = ImportJob.Status.FAILED
        job.finished_at = now()
        job.summary["written"] = False
        job.save()
        return job
    stats = WriteStats()
    present = set(checked.columns)
    try:
        with transaction.atomic():
            for batch in read_chunks(path, mapping, CHUNK_ROWS):
                write_chunk(shop=job.shop, lines=batch, present=present, stats=stats)
            created_ids = sorted(stats.created_order_ids)
            shop = job.shop
            transaction.on_commit(lambda: _notify_orders_placed(shop, created_ids))
    except ImportFileError as exc:
        return _fail(job, str(exc))
    job.status = ImportJob.Status.DONE
    job.created_count, job.updated_count = stats.orders_created, stats.orders_updated
    job.summary = {**job.summary, "written": True, **stats.as_dict()}
    job.finished_at = now()
    job.save()
    return job


def orders_import(*, shop: Shop, path: Path | str, mapping: dict | None = None, allow_partial: bool = False,
                  actor, filename: str | None = None) -> ImportJob:
    """Import an export that is already on disk (CLI, bench). Runs now, in this process. `actor`: the user
    the CLI runs as (`--as`), or SYSTEM (`--system`)."""
    require_role(actor, shop, IMPORT)
    path = Path(path)
    job = ImportJob.objects.create(shop=shop, filename=filename or path.name, digest=file_digest(path),
                                   mapping=mapping or {}, allow_partial=allow_partial, created_by=acting_user(actor))
    return _run(job, path)


def import_job_submit(*, shop: Shop, upload: UploadedFile, mapping: dict | None = None,
                      allow_partial: bool = False, actor, run_async: bool | None = None) -> ImportJob:
    """Store an uploaded export and import it: small files now, large ones in a background task."""
    require_role(actor, shop, IMPORT)
    name = Path(upload.name or "upload.csv").name
    job = ImportJob(shop=shop, filename=name, mapping=mapping or {}, allow_partial=allow_partial,
                    created_by=acting_user(actor))
    job.file.save(name, upload, save=False)
    job.digest = file_digest(Path(job.file.path))
    job.save()
    if run_async is None:
        run_async = (upload.size or 0) > getattr(settings, "SHOUHOU_IMPORT_ASYNC_BYTES", ASYNC_THRESHOLD_BYTES)
    if run_async:
        from django_q.tasks import async_task

        job_id = job.pk
        sync = bool(settings.Q_CLUSTER.get("sync", False))  # read now: tests and SHOUHOU_TASKS_SYNC run inline
        transaction.on_commit(lambda: async_task("shouhou.commerce.tasks.import_job_run_task", job_id,
                                                 task_name=f"import-{job_id}", sync=sync))
        return job
    return _run(job, Path(job.file.path))


def import_job_run(*, job_id: int) -> ImportJob | None:
    """Run a stored job once. Claims it with a conditional UPDATE so a repeated delivery does nothing."""
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.PENDING).update(
        status=ImportJob.Status.RUNNING, updated_at=now())
    if not claimed:
        return None
    job = ImportJob.objects.select_related("shop").get(pk=job_id)
    if not job.file:
        return _fail(job, "导入文件不存在")
    try:
        return _run(job, Path(job.file.path))
    except Exception:
        log.exception("import job %s failed", job_id)
        _fail(job, "导入时发生内部错误，请稍后重试或联系管理员")
        raise
