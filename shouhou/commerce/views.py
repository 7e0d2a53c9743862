"""Import page: upload an order export, read the report. Thin: parse, call the service, render."""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from shouhou.accounts.access import current_shop_for_request, require_action
from shouhou.accounts.permissions import IMPORT
from shouhou.commerce.importers.columns import FIELDS
from shouhou.commerce.models import ImportJob
from shouhou.commerce.selectors import import_job_list
from shouhou.commerce.services import import_job_submit

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
    return render(request, "commerce/import.html", {
        "shop": shop, "jobs": import_job_list(shop=shop), "fields": FIELDS, "error": error,
    })


@login_required
def import_job_page(request, job_id: int):
    shop = _shop_or_404(request)
    require_action(request.user, shop, IMPORT)
    job = get_object_or_404(ImportJob, shop=shop, pk=job_id)
    return render(request, "commerce/import_job.html", {"shop": shop, "job": job, "s": job.summary or {},
                                                         "more_errors": job.error_count - len(job.errors)})
