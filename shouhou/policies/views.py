from __future__ import annotations

from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext

from shouhou.commerce.choices import Category
from shouhou.commerce.models import Shop
from shouhou.policies.document import SEALED_EXCEPTIONS, STATUTORY_EXCEPTIONS
from shouhou.policies.selectors import category_rules, policy_document


def public_policy(request, shop_code: str):
    shop = Shop.objects.filter(code=shop_code).first()
    if shop is None:
        raise Http404("店铺不存在")
    version, doc = policy_document(shop=shop)
    categories = [(Category(c).label, category_rules(doc, c)) for c in Category.values if c != "other"]
    exceptions = [str(Category(c).label) + (gettext("（已拆封或在线下载的）") if c in SEALED_EXCEPTIONS else "")
                  for c in doc["no_reason"]["legal_exceptions"] if c in STATUTORY_EXCEPTIONS]
    shipping = category_rules(doc, "other")["shipping"]
    return render(request, "policies/public.html", {
        "shop": shop, "version": version, "doc": doc, "categories": categories, "exceptions": exceptions,
        "shipping": shipping,
    })
