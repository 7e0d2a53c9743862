"""What the decrypt-on-reveal tests of every platform share (test_decrypt_reveal*.py): the reveal request, the
scan of every table for a value that must not be stored, and the admin turning the switch on from the connection
page while an agent's reveal is refused before any platform call."""

from __future__ import annotations

import json

from django.apps import apps

from shouhou.core.testing.audit import assert_audited
from shouhou.platforms.decrypt import SETTING


def reveal(client, order, field: str, reason: str = "联系买家确认退货"):
    return client.post("/api/accounts/reveal", data=json.dumps(
        {"kind": "order", "object_id": order.pk, "field": field, "reason": reason}), content_type="application/json")


def everything() -> str:
    """Every row of every table, as text: where a clear value or a ciphertext stored anywhere would show."""
    out = []
    for model in apps.get_models():
        out.extend(str(row) for row in model.objects.all().values())
    return "\n".join(out)


def switch_on_from_the_page(client, shop_admin, agent, conn, order, platform_calls: list) -> None:
    """The admin turns the switch on from the connection page (audited); an agent may not reveal: refused (403)
    before any platform call."""
    client.force_login(shop_admin)
    page = client.get(f"/platforms/{conn.pk}/").content.decode()
    assert 'id="decrypt-switch"' in page and 'name="decrypt_buyer" checked' not in page
    client.post(f"/platforms/{conn.pk}/", {"do": "settings", "auto_refund_limit": "0", "decrypt_buyer": "on"})
    conn.refresh_from_db()
    assert conn.settings[SETTING] is True
    assert_audited("platforms.settings", conn, actor=shop_admin, before={SETTING: False}, after={SETTING: True})
    client.force_login(agent)
    calls = len(platform_calls)
    assert reveal(client, order, "phone").status_code == 403
    assert platform_calls[calls:] == []
