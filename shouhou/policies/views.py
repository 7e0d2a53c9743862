from __future__ import annotations

from django.http import Http404
from django.shortcuts import render

from shouhou.commerce.models import Shop
from shouhou.policies.selectors import CATEGORY_ZH, category_rules, policy_document


def public_policy(request, shop_code: str):
    shop = Shop.objects.filter(code=shop_code).first()
    if shop is None:
        raise Http404("店铺不存在")
    version, doc = policy_document(shop=shop)
    categories = [(CATEGORY_ZH[c], category_rules(doc, c)) for c in CATEGORY_ZH if c != "other"]
    exceptions = [CATEGORY_ZH[c] for c in doc["no_reason"]["legal_exceptions"]]
    shipping = category_rules(doc, "other")["shipping"]
    return render(request, "policies/public.html", {
        "shop": shop, "version": version, "doc": doc, "categories": categories, "exceptions": exceptions,
        "shipping": shipping,
    })
