"""Forms of the insight pages: the improvement action and the dashboard filter options."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from shouhou.commerce.choices import Carrier
from shouhou.commerce.models import SKU, Host, LiveSession, Product
from shouhou.inbox.choices import Channel, Team

from .models import ImprovementAction
from .services import EDITABLE_FIELDS


def shop_members(shop):
    return get_user_model().objects.filter(memberships__shop=shop).order_by("username").distinct()


def filter_choices(shop, filters=None) -> dict:
    """Options of the dashboard filter bar (only this shop's rows). A value in use that is not among them (an
    agent who left the shop, 未知, a session older than the hundred listed) is added, selected, with its name:
    else the select showed 全部 over figures narrowed to it, and the next 查看 dropped the filter."""
    from . import selectors as sel

    choices = {
        "channel": Channel.choices, "team": Team.choices, "carrier": Carrier.choices,
        "agent": [(u.pk, u.get_full_name() or u.first_name or u.get_username()) for u in shop_members(shop)],
        "live_session": list(LiveSession.objects.filter(shop=shop).order_by("-started_at")
                             .values_list("pk", "title")[:100]),
        "host": list(Host.objects.filter(shop=shop).order_by("name").values_list("pk", "name")),
        "product": list(Product.objects.filter(shop=shop).order_by("name").values_list("pk", "name")[:500]),
    }
    for name, value in (filters.active().items() if filters is not None else ()):
        if name in choices and str(value) not in {str(v) for v, _label in choices[name]}:
            choices[name] = [*choices[name], (value, sel.filter_label(shop=shop, name=name, value=value))]
    return choices


class ImprovementActionForm(forms.ModelForm):
    class Meta:
        model = ImprovementAction
        fields = ["finding", "dimension", "dimension_key", "product", "sku", "live_session", "host", "owner",
                  "due_date", "fix_type", "fix_description", "metric", "baseline_start", "baseline_end",
                  "announcement", "announce"]
        widgets = {
            "finding": forms.Textarea(attrs={"rows": 2}),
            "fix_description": forms.Textarea(attrs={"rows": 3}),
            "announcement": forms.Textarea(attrs={"rows": 2}),
            "due_date": forms.DateInput(attrs={"type": "date"}),
            "baseline_start": forms.DateInput(attrs={"type": "date"}),
            "baseline_end": forms.DateInput(attrs={"type": "date"}),
        }
        help_texts = {"baseline_start": _("留空：最近 28 天")}

    def __init__(self, *args, shop, **kwargs):
        super().__init__(*args, **kwargs)
        self.shop = shop
        self.fields["product"].queryset = Product.objects.filter(shop=shop).order_by("name")
        self.fields["sku"].queryset = SKU.objects.filter(shop=shop).select_related("product").order_by("code")
        self.fields["live_session"].queryset = LiveSession.objects.filter(shop=shop).order_by("-started_at")
        self.fields["host"].queryset = Host.objects.filter(shop=shop).order_by("name")
        self.fields["owner"].queryset = shop_members(shop)

    def _post_clean(self):  # the service validates and saves; the form only parses
        pass

    def service_values(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if k in EDITABLE_FIELDS and k != "finding"}
        if self.instance.pk is None:
            data = {k: v for k, v in data.items() if v not in (None, "") or k in {"announce"}}
        data["finding"] = self.cleaned_data.get("finding", "")
        return data
