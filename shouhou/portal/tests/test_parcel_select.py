"""The return parcel's carrier is chosen, not pre-chosen: the select opened on 顺丰速运, so a customer who sent by
another carrier and did not look saved the wrong one (a tester on a phone, 2026-12-07)."""

from __future__ import annotations

from django.template.loader import render_to_string

CARRIERS = [("SF", "顺丰速运"), ("ZTO", "中通快递")]


def test_a_new_return_parcel_asks_for_the_carrier():
    html = render_to_string("portal/_parcel_fields.html", {"carriers": CARRIERS, "typed": {}})
    assert '<select name="carrier"><option value="" selected>请选择</option><option value="SF">' in html


def test_a_carrier_already_given_stays_chosen_without_the_empty_choice():
    html = render_to_string("portal/_parcel_fields.html", {"carriers": CARRIERS, "typed": {"carrier": "ZTO"}})
    assert '<option value=""' not in html and '<option value="ZTO" selected>' in html
