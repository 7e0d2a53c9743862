"""Writes to shop data. The order-export import lives here: orders_import() for a file on disk (CLI,
bench), import_job_submit() for an upload (web, API), import_job_run() for the background task."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import OperationalError, connection, transaction
from django.db.models import Q

from shouhou.accounts.actors import acting_user, require_role
from shouhou.accounts.permissions import IMPORT
from shouhou.commerce.importers import messages as M
from shouhou.commerce.importers.amounts import settle_amounts
from shouhou.commerce.importers.messages import job_error
from shouhou.commerce.importers.pgstage import Stage
from shouhou.commerce.importers.runner import ImportFileError, file_digest
from shouhou.commerce.importers.runner import read as read_file
from shouhou.commerce.importers.writer import WriteStats, effective_present, write_chunk
from shouhou.commerce.models import ImportJob, Shop
from shouhou.core.clock import now

log = logging.getLogger(__name__)

CHUNK_ROWS = 2000
ASYNC_THRESHOLD_BYTES = 2 * 1024 * 1024  # uploads larger than this run as a background task


def _notify_orders_placed(shop: Shop, order_ids: list[int], report: dict) -> None:
    """The new orders' order-placed messages (notifications: recent orders only); `report` gets the counts for the
    import's summary."""
    if not order_ids:
        return
    from shouhou.notifications.services import orders_placed_notices

    done = orders_placed_notices(shop=shop, order_ids=order_ids)
    report.update(placed_messages=done.written, placed_not_recent=done.not_recent,
                  placed_within_hours=done.within_hours)


def _shipments_arrived(shop: Shop) -> None:
    """Tracking: subscribe the new tracked shipments at Kuaidi100 and apply pushes that came before the
    export did (logistics.subscriptions). A failure here must not undo the committed import."""
    from shouhou.logistics.subscriptions import shipments_arrived

    try:
        shipments_arrived(shop=shop)
    except Exception:
        log.exception("tracking follow-up after the import of shop %s failed", shop.pk)


def _fail(job: ImportJob, text: str) -> ImportJob:
    """The job failed as a whole; `text` is a messages.JOB_* code or a file's own problem (ImportFileError: a
    messages.Reason), both stored as a code and parameters and shown in the reader's language."""
    job.status = ImportJob.Status.FAILED
    job.errors = job_error(text) if text in M.CODES and not isinstance(text, M.Reason) else [
        M.error_record(None, "", text)]
    job.error_count = 1
    job.finished_at = now()
    job.save()
    return job


class _NothingWritten(Exception):
    """Raised inside the import's transaction to undo it: the file had errors (and no allow_partial)."""


def _run(job: ImportJob, path: Path) -> ImportJob:
    """One pass over the file inside one transaction: each chunk of good rows is validated and written
    (set-based); problems are collected with their row and column. If any row is bad and the job does not
    allow a partial import, the transaction is rolled back at the end: nothing is written."""
    mapping = job.mapping or None
    job.status = ImportJob.Status.RUNNING
    job.digest = job.digest or file_digest(path)
    earlier = (ImportJob.objects.filter(shop=job.shop, digest=job.digest, status=ImportJob.Status.DONE)
               .exclude(pk=job.pk).order_by("-pk").values_list("pk", flat=True).first())
    job.save(update_fields=["status", "digest", "updated_at"])
    try:
        checked, batches = read_file(path, mapping, CHUNK_ROWS, name=job.filename)
    except ImportFileError as exc:
        return _fail(job, M.reason_of(exc))
    stats = WriteStats()
    notices: dict = {}  # filled after the commit (the order-placed messages), when it runs in this call
    present = set(checked.columns)
    shop = job.shop
    try:
        with transaction.atomic():
            # PostgreSQL: COPY typed rows into a staging table as they are read, one set-based write at the
            # end. SQLite: set-based writes per chunk (executemany upserts).
            stage = Stage() if connection.vendor == "postgresql" else None
            for batch in batches:
                if checked.error_count and not job.allow_partial:
                    continue  # keep reading: the report names every bad row; the transaction is undone
                if stage is None:
                    write_chunk(shop=shop, lines=batch, present=present, stats=stats)
                else:
                    totals, _derived = settle_amounts(batch, present)
                    stage.add(batch, totals)
            if checked.total_rows == 0 or (checked.error_count and not job.allow_partial):
                raise _NothingWritten
            if stage is not None:
                stage.write(shop=shop, present=effective_present(present), stats=stats, stamp=now())
            created_ids = sorted(stats.created_order_ids)
            transaction.on_commit(lambda: _notify_orders_placed(shop, created_ids, notices))
            if present & {"tracking_no"}:
                transaction.on_commit(lambda: _shipments_arrived(shop))
    except _NothingWritten:
        stats = None
    except ImportFileError as exc:
        return _fail(job, M.reason_of(exc))
    except OperationalError as exc:
        if "locked" not in str(exc).lower():  # SQLite's "database is locked": another writer held it too long
            log.exception("import job %s failed", job.pk)
            return _fail(job, M.JOB_UNEXPECTED)
        return _fail(job, M.JOB_DATABASE_BUSY)
    except Exception:  # a defect of ours: the transaction is undone; the job must not stay "running" for ever
        log.exception("import job %s failed", job.pk)
        return _fail(job, M.JOB_UNEXPECTED)
    job.total_rows, job.ok_rows = checked.total_rows, checked.ok_rows
    job.errors, job.error_count = checked.errors, checked.error_count
    job.summary = {"columns": checked.labels, "same_file_as_job": earlier, "ignored_columns": checked.ignored,
                   "missing_columns": checked.missing_important, "notes": checked.notes[:100]}
    if checked.total_rows == 0:
        return _fail(job, M.JOB_NO_ROWS)
    if stats is None:
        job.status = ImportJob.Status.FAILED
        job.finished_at = now()
        job.summary["written"] = False
        job.save()
        return job
    job.status = ImportJob.Status.DONE
    job.created_count, job.updated_count = stats.orders_created, stats.orders_updated
    job.summary = {**job.summary, "written": True, **stats.as_dict(), **notices}
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


def _task_seconds() -> int:
    """How long the worker lets one task run before killing it (Q_CLUSTER timeout)."""
    return int(getattr(settings, "Q_CLUSTER", {}).get("timeout") or 300)


INTERRUPTED = M.JOB_INTERRUPTED


def import_job_run(*, job_id: int) -> ImportJob | None:
    """Run a stored job once. Claims it with a conditional UPDATE so a repeated delivery does nothing. A job
    left 「处理中」 for longer than a task may run was interrupted (the worker killed or restarted mid-import; the
    import is one transaction, so nothing of it was written): the queue's second delivery of it runs it again."""
    stale = now() - timedelta(seconds=_task_seconds())
    claimed = ImportJob.objects.filter(
        Q(status=ImportJob.Status.PENDING) | Q(status=ImportJob.Status.RUNNING, updated_at__lt=stale),
        pk=job_id).update(status=ImportJob.Status.RUNNING, updated_at=now())
    if not claimed:
        return None
    job = ImportJob.objects.select_related("shop").get(pk=job_id)
    if not job.file:
        return _fail(job, M.JOB_FILE_MISSING)
    try:
        return _run(job, Path(job.file.path))
    except Exception:
        log.exception("import job %s failed", job_id)
        _fail(job, M.JOB_INTERNAL)
        raise


def import_jobs_interrupted(*, at=None) -> int:
    """Jobs still 「处理中」 long after any task could have finished them (a task killed at its time limit is not
    delivered again): marked failed with a message saying nothing was written and what to do, so the report page
    stops waiting. Past the queue's redelivery too, so a job about to be run again is left to it. Returns how many."""
    at = at or now()
    q = getattr(settings, "Q_CLUSTER", {})
    limit = at - timedelta(seconds=max(_task_seconds(), int(q.get("retry") or 0)) + 60)
    return ImportJob.objects.filter(status=ImportJob.Status.RUNNING, updated_at__lt=limit).update(
        status=ImportJob.Status.FAILED, finished_at=at, updated_at=at, error_count=1,
        errors=job_error(INTERRUPTED))


# --- return addresses -------------------------------------------------------------------------------

class ReturnAddressError(ValueError):
    """A refused address; `errors` maps each field to what is wrong with it (shown next to the field)."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("；".join(f"{field}：{text}" for field, text in errors.items()))


RETURN_ADDRESS_FIELDS = ("kind", "name", "contact_name", "phone", "province", "city", "district", "street",
                         "postal_code", "category", "note", "is_default", "is_active")
_REQUIRED = {"name": "名称", "contact_name": "收件人", "phone": "收件电话", "province": "省", "city": "市",
             "street": "详细地址"}


def _clean_return_address(data: dict) -> tuple[dict, dict[str, str]]:
    import re

    from shouhou.commerce.choices import Category, ReturnAddressKind
    from shouhou.commerce.models import ReturnAddress

    values: dict = {}
    errors: dict[str, str] = {}
    for field in RETURN_ADDRESS_FIELDS:
        raw = data.get(field)
        if field in ("is_default", "is_active"):
            values[field] = raw in (True, "1", "on", "true")
            continue
        value = str(raw if raw is not None else "").strip()
        limit = ReturnAddress._meta.get_field(field).max_length
        if len(value) > limit:
            errors[field] = f"不能超过 {limit} 个字"
        values[field] = value
    for field, label in _REQUIRED.items():
        if not values[field]:
            errors[field] = f"请填写{label}"
    values["kind"] = values["kind"] or ReturnAddressKind.SHOP
    if values["kind"] not in ReturnAddressKind.values:
        errors["kind"] = f"未知的类型：{values['kind']}"
    if values["category"] and values["category"] not in Category.values:
        errors["category"] = f"未知的商品类目：{values['category']}"
    if values["phone"] and not re.fullmatch(r"[0-9+\- ()]{5,30}", values["phone"]):
        errors["phone"] = "电话只能包含数字、空格、+、-、括号"
    if values["postal_code"] and not re.fullmatch(r"\d{6}", values["postal_code"]):
        errors["postal_code"] = "邮编应为 6 位数字"
    if values["is_default"] and values["category"]:
        errors["is_default"] = "默认地址应收所有商品：请清空「只收此类商品」，或不设为默认"
    if values["is_default"] and not values["is_active"]:
        errors["is_default"] = "停用的地址不能设为默认"
    return values, errors


@transaction.atomic
def return_address_save(*, shop: Shop, actor, data: dict, address_id: int | None = None):
    """Create or change one of the shop's return addresses (`actor` with settings.edit: shop admins). Making one the
    default unsets the previous default; the shop's first active general address becomes the default."""
    from shouhou.accounts.permissions import SETTINGS_EDIT
    from shouhou.commerce.models import ReturnAddress
    from shouhou.core.audit import audit_record

    require_role(actor, shop, SETTINGS_EDIT)
    values, errors = _clean_return_address(data)
    if errors:
        raise ReturnAddressError(errors)
    active = ReturnAddress.objects.select_for_update().filter(shop=shop, is_active=True)
    if address_id is not None:
        active = active.exclude(pk=address_id)
    if values["is_active"] and not values["category"] and not active.filter(is_default=True).exists():
        values["is_default"] = True  # a shop with addresses always has a default to fall back on
    if values["is_default"]:
        active.filter(is_default=True).update(is_default=False)
    if address_id is None:
        address = ReturnAddress.objects.create(shop=shop, **values)
        before = None
    else:
        address = ReturnAddress.objects.select_for_update().filter(shop=shop, pk=address_id).first()
        if address is None:
            raise ReturnAddressError({"address": "地址不存在"})
        before = {f: getattr(address, f) for f in RETURN_ADDRESS_FIELDS}
        for field, value in values.items():
            setattr(address, field, value)
        address.save()
    audit_record(action="return_address.save", obj=address, actor=acting_user(actor), before=before,
                 after={f: getattr(address, f) for f in RETURN_ADDRESS_FIELDS})
    return address
