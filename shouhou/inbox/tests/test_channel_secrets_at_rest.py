"""The channel accounts' Token, EncodingAESKey and Secret are encrypted at rest (core/crypto.py): the raw column
holds no secret, the webhooks still verify and decrypt with them, the admin never shows them back, and the data
migration seals the rows stored before (re-runnable, reversible)."""

from __future__ import annotations

import importlib
import json
import types

import pytest
import time_machine
from django.apps import apps
from django.db import connection

from shouhou.core.crypto import FIELD_PREFIX, EncryptedTextField, seal_text
from shouhou.core.webhooks import signed_headers
from shouhou.inbox.channels import testing
from shouhou.inbox.choices import Channel
from shouhou.inbox.models import ChannelAccount, Message

pytestmark = pytest.mark.django_db

CORP_ID = "ww1234567890abcdef"
TOKEN = "tok-at-rest-7"  # noqa: S105 - test fixtures
SECRET = "mail-signing-secret-7"  # noqa: S105
MIGRATION = importlib.import_module("shouhou.inbox.migrations.0009_channel_secrets_encrypted")


def _raw(pk: int) -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT token, aes_key, secret FROM inbox_channelaccount WHERE id = %s", [pk])
        return dict(zip(("token", "aes_key", "secret"), cursor.fetchone(), strict=True))


def _set_raw(pk: int, **values: str) -> None:
    with connection.cursor() as cursor:
        for field, value in values.items():
            cursor.execute(f"UPDATE inbox_channelaccount SET {field} = %s WHERE id = %s", [value, pk])  # noqa: S608


@pytest.fixture
def wecom(shop):
    return ChannelAccount.objects.create(shop=shop, channel=Channel.WECOM, name="企业微信", key="wecom-rest",
                                         app_id=CORP_ID, token=TOKEN, aes_key=testing.AES_KEY)


@pytest.fixture
def mail(shop):
    return ChannelAccount.objects.create(shop=shop, channel=Channel.EMAIL, name="售后邮箱", key="mail-rest",
                                         secret=SECRET)


def test_the_raw_columns_hold_no_secret_and_the_model_reads_them_plain(wecom, mail):
    raw = _raw(wecom.pk)
    assert raw["token"].startswith(FIELD_PREFIX) and raw["aes_key"].startswith(FIELD_PREFIX)
    assert TOKEN not in raw["token"] and testing.AES_KEY not in raw["aes_key"]
    assert raw["secret"] == ""  # blank stays blank: "not filled in" is still refused at the webhook
    assert SECRET not in _raw(mail.pk)["secret"]
    fresh = ChannelAccount.objects.get(pk=wecom.pk)
    assert (fresh.token, fresh.aes_key) == (TOKEN, testing.AES_KEY)
    # a new token each save (Fernet): the same secret never shows as the same column value
    ChannelAccount.objects.filter(pk=wecom.pk).update(token=TOKEN)
    assert _raw(wecom.pk)["token"] != raw["token"] and ChannelAccount.objects.get(pk=wecom.pk).token == TOKEN


def test_wecom_still_verifies_and_decrypts_with_the_encrypted_token_and_key(client, wecom, shop):
    shop.settings = {**(shop.settings or {}), "bot_enabled": False}
    shop.save(update_fields=["settings"])
    inner = testing.wecom_text_xml(user_id="lisi", content="帮我查下退款", msg_id="9101", corp_id=CORP_ID)
    query, body = testing.wecom_push(token=TOKEN, aes_key=testing.AES_KEY, corp_id=CORP_ID, inner_xml=inner)
    with time_machine.travel(1764576060, tick=True):  # the helper signs at 1764576000
        ok = client.post(f"/inbox/hooks/wecom/wecom-rest/?{query}", data=body, content_type="text/xml")
        forged_query, forged = testing.wecom_push(token="not-the-token", aes_key=testing.AES_KEY, corp_id=CORP_ID,
                                                  inner_xml=inner.replace("9101", "9102"))
        refused = client.post(f"/inbox/hooks/wecom/wecom-rest/?{forged_query}", data=forged, content_type="text/xml")
    assert ok.status_code == 200 and Message.objects.get().body == "帮我查下退款"
    assert refused.status_code == 403 and Message.objects.count() == 1


def test_a_signed_email_webhook_still_verifies_with_the_encrypted_secret(client, mail):
    body = json.dumps({"from": "买家 <buyer@example.com>", "to": "kefu@xiaolu.example", "subject": "退货",
                       "text": "想退货", "message_id": "<rest-1@mail.example>"}, ensure_ascii=False).encode()
    good = client.post("/inbox/hooks/email/mail-rest/", data=body, content_type="application/json",
                       headers=signed_headers(SECRET, body))
    bad = client.post("/inbox/hooks/email/mail-rest/", data=body, content_type="application/json",
                      headers=signed_headers(_raw(mail.pk)["secret"], body))  # the stored column is not the key
    assert good.status_code == 200, good.content
    assert bad.status_code == 401
    assert Message.objects.get().body == "想退货"


def test_a_value_sealed_under_another_key_reads_blank_and_the_webhook_refuses(client, mail, settings):
    settings.SECRET_KEY = "another-install-key-" + "x" * 40
    _set_raw(mail.pk, secret=seal_text("sealed-elsewhere"))
    settings.SECRET_KEY = settings.SECRET_KEY[::-1]
    assert ChannelAccount.objects.get(pk=mail.pk).secret == ""
    body = b'{"id": "m-2", "from": "a@b.c", "text": "x"}'
    assert client.post("/inbox/hooks/email/mail-rest/", data=body, content_type="application/json",
                       headers=signed_headers("sealed-elsewhere", body)).status_code in (401, 403)


def test_the_migration_seals_plain_rows_once_and_opens_them_backwards(wecom, mail):
    # rows as they were stored before this migration: plain text
    _set_raw(wecom.pk, token=TOKEN, aes_key=testing.AES_KEY)
    _set_raw(mail.pk, secret=SECRET)
    assert ChannelAccount.objects.get(pk=mail.pk).secret == SECRET  # an unsealed value still reads as is
    editor = types.SimpleNamespace(connection=connection, quote_name=connection.ops.quote_name)
    MIGRATION.seal_plain_values(apps, editor)
    sealed = _raw(wecom.pk), _raw(mail.pk)
    assert sealed[0]["token"].startswith(FIELD_PREFIX) and TOKEN not in sealed[0]["token"]
    assert sealed[0]["aes_key"].startswith(FIELD_PREFIX) and sealed[1]["secret"].startswith(FIELD_PREFIX)
    assert ChannelAccount.objects.get(pk=mail.pk).secret == SECRET
    assert ChannelAccount.objects.get(pk=wecom.pk).aes_key == testing.AES_KEY
    MIGRATION.seal_plain_values(apps, editor)  # again: nothing changes (not sealed twice)
    assert (_raw(wecom.pk), _raw(mail.pk)) == sealed
    MIGRATION.open_sealed_values(apps, editor)  # backwards: plain again, fit for the old varchar columns
    assert _raw(wecom.pk) == {"token": TOKEN, "aes_key": testing.AES_KEY, "secret": ""}
    assert _raw(mail.pk)["secret"] == SECRET
    field_ops = [op for op in MIGRATION.Migration.operations if hasattr(op, "field")]
    assert {op.name for op in field_ops} == {"token", "aes_key", "secret"}
    assert all(isinstance(op.field, EncryptedTextField) for op in field_ops)


def test_the_admin_never_shows_a_secret_and_blank_keeps_it(admin_client, shop):
    from shouhou.core.models import AuditEvent

    form = {"shop": shop.pk, "channel": "wechat_kf", "name": "微信客服", "key": "kf-rest", "app_id": "wwCORP7",
            "token": "kf-token-7", "aes_key": testing.AES_KEY, "secret": "kf-secret-7", "is_active": "on"}
    assert admin_client.post("/admin/inbox/channelaccount/add/", form).status_code == 302
    account = ChannelAccount.objects.get(key="kf-rest")
    page = admin_client.get(f"/admin/inbox/channelaccount/{account.pk}/change/").content.decode()
    for value in ("kf-token-7", testing.AES_KEY, "kf-secret-7", _raw(account.pk)["secret"]):
        assert value not in page
    assert "留空则保持不变" in page
    # renamed with the secrets left blank: they are kept, and not audited as changed
    renamed = {**form, "name": "微信客服（售后）", "token": "", "aes_key": "", "secret": ""}
    assert admin_client.post(f"/admin/inbox/channelaccount/{account.pk}/change/", renamed).status_code == 302
    account.refresh_from_db()
    assert (account.name, account.token, account.aes_key, account.secret) == (
        "微信客服（售后）", "kf-token-7", testing.AES_KEY, "kf-secret-7")
    change = AuditEvent.objects.filter(action="admin.change").latest("pk")
    assert set(change.after) == {"name"}
    # a new secret typed in replaces the old one
    replaced = {**renamed, "secret": "kf-secret-8"}
    assert admin_client.post(f"/admin/inbox/channelaccount/{account.pk}/change/", replaced).status_code == 302
    account.refresh_from_db()
    assert account.secret == "kf-secret-8" and "kf-secret-8" not in _raw(account.pk)["secret"]


@pytest.mark.django_db(transaction=True)
def test_migrate_back_and_forth_for_real(shop):
    from django.core.management import call_command

    account = ChannelAccount.objects.create(shop=shop, channel=Channel.EMAIL, name="邮箱", key="mail-migrate",
                                            secret=SECRET)
    try:
        call_command("migrate", "inbox", "0008", verbosity=0)
        assert _raw(account.pk)["secret"] == SECRET  # before encryption: the plain value, in the old column
        call_command("migrate", "inbox", "0009", verbosity=0)
        raw = _raw(account.pk)["secret"]
        assert raw.startswith(FIELD_PREFIX) and SECRET not in raw
        assert ChannelAccount.objects.get(pk=account.pk).secret == SECRET
    finally:
        call_command("migrate", verbosity=0)


def test_dumpdata_writes_the_sealed_form_and_loaddata_reads_it_back(mail):
    from django.core import serializers

    dumped = serializers.serialize("json", [ChannelAccount.objects.get(pk=mail.pk)])
    assert SECRET not in dumped and FIELD_PREFIX in dumped
    (loaded,) = serializers.deserialize("json", dumped)
    assert loaded.object.secret == SECRET
    ChannelAccount.objects.filter(pk=mail.pk).update(secret="changed-meanwhile")
    loaded.save()
    assert ChannelAccount.objects.get(pk=mail.pk).secret == SECRET and SECRET not in _raw(mail.pk)["secret"]
