"""Import page: upload an order export, read the report. Thin: parse, call the service, render."""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from shouhou.accounts.access import current_shop_for_request, require_action, role_for
from shouhou.accounts.permissions import IMPORT, SETTINGS_EDIT, VIEW, role_can
from shouhou.commerce.choices import Category, ReturnAddressKind
from shouhou.commerce.importers.columns import FIELDS
from shouhou.commerce.importers.messages import note_shown
from shouhou.commerce.models import ImportJob, ReturnAddress
from shouhou.commerce.selectors import (
    import_errors_csv,
    import_errors_shown,
    import_job_list,
    return_addresses,
)
from shouhou.commerce.services import (
    RETURN_ADDRESS_FIELDS,
    ReturnAddressError,
    import_job_submit,
    return_address_save,
)

MAX_UPLOAD_BYTES = 200 * 1024 * 1024


def _shop_or_404(request):
    shop = current_shop_for_request(request)
    if shop is None:
        raise Http404(_("你还没有加入任何店铺"))
    return shop


@login_required
def import_page(request):
    shop = _shop_or_404(request)
    require_action(request.user, shop, IMPORT)
    error = ""
    if request.method == "POST":
        upload = request.FILES.get("file")
        mapping = None
        raw_mapping = (request.POST.get("mapping") or "").strip()
        if upload is None:
            error = _("请选择要导入的 .xlsx 或 .csv 文件")
        elif upload.size > MAX_UPLOAD_BYTES:
            error = _("文件太大（上限 200 MB）")
        elif raw_mapping:
            try:
                mapping = json.loads(raw_mapping)
                if not isinstance(mapping, dict):
                    raise ValueError
            except ValueError:
                error = _("列映射应是 JSON 对象，例如 {\"order_no\": \"平台单号\"}")
        if not error:
            job = import_job_submit(shop=shop, upload=upload, mapping=mapping,
                                    allow_partial=bool(request.POST.get("allow_partial")), actor=request.user)
            return redirect("commerce:import_job", job_id=job.pk)
    # what was typed comes back with the error (the mapping and the switch were blank again); a browser never
    # refills a file field, so the error names the file to choose again
    typed = {"mapping": request.POST.get("mapping", ""), "allow_partial": bool(request.POST.get("allow_partial"))}
    return render(request, "commerce/import.html", {
        "shop": shop, "jobs": import_job_list(shop=shop), "fields": _fields_shown(), "error": error,
        "typed": typed, "file_again": bool(error and request.FILES.get("file")),
    }, status=400 if error else 200)


def _fields_shown() -> list[dict]:
    """The recognised columns with each field's label in the reader's language (the importer keeps its labels in
    Chinese for its reports; their English is in the catalogue), the header synonyms as the files spell them."""
    return [{"name": f.name, "label": _(f.label), "required": f.required, "synonyms": f.synonyms} for f in FIELDS]


@login_required
def import_job_page(request, job_id: int):
    shop = _shop_or_404(request)
    require_action(request.user, shop, IMPORT)
    job = get_object_or_404(ImportJob, shop=shop, pk=job_id)
    summary = job.summary or {}
    # the fields the file lacks, named in the reader's language (the summary keeps the importer's Chinese
    # labels); the unrecognised columns are the file's own headers, shown as they are
    sep = _("、")
    return render(request, "commerce/import_job.html", {
        "shop": shop, "job": job, "s": summary, "more_errors": job.error_count - len(job.errors),
        "errors": import_errors_shown(job=job),
        "notes_shown": [note_shown(str(n)) for n in summary.get("notes") or []],
        "missing_shown": sep.join(_(label) for label in summary.get("missing_columns") or []),
        "ignored_shown": sep.join(str(h) for h in summary.get("ignored_columns") or []),
    })


@login_required
def import_errors_download(request, job_id: int):
    """The job's error list as a CSV file, in the reader's language."""
    shop = _shop_or_404(request)
    require_action(request.user, shop, IMPORT)
    job = get_object_or_404(ImportJob, shop=shop, pk=job_id)
    response = HttpResponse(import_errors_csv(job=job), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.csv"'
    return response


@login_required
def return_addresses_page(request, address_id: int | None = None):
    """The shop's return addresses: every member reads them (to tell a customer), admins change them."""
    shop = _shop_or_404(request)
    require_action(request.user, shop, VIEW)
    address = get_object_or_404(ReturnAddress, shop=shop, pk=address_id) if address_id is not None else None
    can_edit = role_can(role_for(request.user, shop), SETTINGS_EDIT)
    errors: dict[str, str] = {}
    values = {f: getattr(address, f) for f in RETURN_ADDRESS_FIELDS} if address else {"is_active": True}
    status = 200
    if request.method == "POST":
        values = {f: request.POST.get(f, "") for f in RETURN_ADDRESS_FIELDS}
        try:
            return_address_save(shop=shop, actor=request.user, data=values, address_id=address_id)
        except ReturnAddressError as exc:
            errors, status = exc.errors, 400
        else:
            return redirect("commerce:return_addresses")
    return render(request, "commerce/return_addresses.html", {
        "shop": shop, "addresses": return_addresses(shop=shop), "address": address, "values": values,
        "errors": errors, "can_edit": can_edit, "kinds": ReturnAddressKind.choices, "categories": Category.choices,
    }, status=status)
