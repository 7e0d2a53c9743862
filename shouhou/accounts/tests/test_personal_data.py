"""PIPL: reveal with audit, the audit log (API and page), retention anonymisation."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import time_machine

from shouhou.accounts.actors import SYSTEM
from shouhou.accounts.choices import Role
from shouhou.accounts.retention import pii_retention_sweep, shop_anonymise_expired
from shouhou.accounts.services import shop_retention_days, shop_retention_set, token_issue
from shouhou.api.errors import DomainError
from shouhou.cases.choices import CaseKind, CaseStatus
from shouhou.cases.models import Case
from shouhou.commerce.models import Customer, Order
from shouhou.core.models import AuditEvent
from shouhou.core.pii import ANONYMISED
from shouhou.core.testing.audit import assert_audited, assert_not_audited
from shouhou.core.testing.factories import CustomerFactory, MembershipFactory, OrderFactory, UserFactory
from shouhou.inbox.choices import Channel, Direction
from shouhou.inbox.models import Conversation, Message
from shouhou.notifications.models import OutboundMessage
from shouhou.reviews.models import Review

pytestmark = pytest.mark.django_db
SH = dt.timezone(dt.timedelta(hours=8))


def _reveal(client, **payload):
    return client.post("/api/accounts/reveal", data=json.dumps(payload), content_type="application/json")


def test_supervisor_reveals_a_phone_and_the_reveal_is_audited(client, shop, supervisor):
    customer = CustomerFactory(shop=shop, phone="13812345678")
    client.force_login(supervisor)

    response = _reveal(client, kind="customer", object_id=customer.pk, field="phone", reason="回访确认地址")

    assert response.status_code == 200
    assert response.json() == {"kind": "customer", "object_id": customer.pk, "field": "phone",
                                "value": "13812345678"}
    event = assert_audited("pii.reveal", customer, actor=supervisor, shop=shop, after={"field": "phone"})
    assert event.note == "回访确认地址"


def test_order_address_reveal(client, shop, supervisor):
    order = OrderFactory(shop=shop, address="上海市浦东新区世纪大道100号")
    client.force_login(supervisor)

    response = _reveal(client, kind="order", object_id=order.pk, field="address")

    assert response.json()["value"] == "上海市浦东新区世纪大道100号"
    assert_audited("pii.reveal", order, after={"field": "address"})


@pytest.mark.parametrize("role", [Role.AGENT, Role.ANALYST])
def test_roles_without_pii_reveal_are_refused_and_nothing_is_audited(client, shop, role):
    user = MembershipFactory(shop=shop, role=role, user=UserFactory(username=f"u-{role}")).user
    customer = CustomerFactory(shop=shop)
    client.force_login(user)

    response = _reveal(client, kind="customer", object_id=customer.pk, field="phone")

    assert response.status_code == 403
    assert_not_audited("pii.reveal")


def test_token_without_pii_scope_cannot_reveal(client, shop):
    customer = CustomerFactory(shop=shop)
    issued = token_issue(actor=SYSTEM, shop=shop, name="只读", scopes=["accounts"], role=Role.AGENT)

    response = client.post("/api/accounts/reveal", content_type="application/json",
                           data=json.dumps({"kind": "customer", "object_id": customer.pk, "field": "phone"}),
                           headers={"Authorization": f"Bearer {issued.secret}"})

    assert response.status_code == 403


def test_reveal_of_another_shops_customer_is_404(client, supervisor, other_shop):
    stranger = CustomerFactory(shop=other_shop)
    client.force_login(supervisor)

    response = _reveal(client, kind="customer", object_id=stranger.pk, field="phone")

    assert response.status_code == 404
    assert_not_audited("pii.reveal")


def test_reveal_of_unsupported_field_names_the_field(client, shop, supervisor):
    customer = CustomerFactory(shop=shop)
    client.force_login(supervisor)

    response = _reveal(client, kind="customer", object_id=customer.pk, field="address")

    assert response.status_code == 400
    assert "customer.address" in response.json()["detail"]
    assert response.json()["errors"][0]["loc"] == ["field"]


def test_reveal_validation_errors_are_chinese_with_locations(client, supervisor):
    client.force_login(supervisor)

    response = _reveal(client, kind="robot", object_id=0)

    assert response.status_code == 422
    body = response.json()
    by_loc = {tuple(e["loc"]): e["msg"] for e in body["errors"]}
    assert by_loc[("body", "payload", "kind")] == "不是允许的取值"
    assert by_loc[("body", "payload", "object_id")] == "数值太小"
    assert by_loc[("body", "payload", "field")] == "缺少必填项"
    assert body["detail"].startswith("输入有误：请求体 payload.kind：不是允许的取值")


def test_malformed_json_is_a_chinese_422(client, supervisor):
    client.force_login(supervisor)

    response = client.post("/api/accounts/reveal", data="{not json", content_type="application/json")

    assert response.status_code in (400, 422)
    assert "Traceback" not in response.content.decode()


def test_audit_api_lists_this_shops_events_for_admins_only(client, shop, other_shop, shop_admin, agent):
    shop_retention_set(shop=shop, days=180, actor=shop_admin)
    shop_retention_set(actor=SYSTEM, shop=other_shop, days=90)
    client.force_login(shop_admin)

    response = client.get("/api/accounts/audit?action=shop.")
    client.force_login(agent)
    refused = client.get("/api/accounts/audit")

    assert response.status_code == 200
    assert [(e["action"], e["before"], e["after"], e["actor"]) for e in response.json()] == [
        ("shop.retention", {"days": None}, {"days": 180}, "shopadmin")]
    assert refused.status_code == 403


def test_audit_page_for_shop_admin(client, shop, shop_admin, agent):
    shop_retention_set(shop=shop, days=200, actor=shop_admin)
    client.force_login(shop_admin)

    page = client.get("/accounts/audit/")
    client.force_login(agent)
    refused = client.get("/accounts/audit/")

    assert page.status_code == 200
    text = page.content.decode()
    assert "审计日志" in text and "修改个人信息保留期" in text and "shopadmin" in text  # a label, not shop.retention
    assert refused.status_code == 403


@pytest.mark.parametrize("days", [0, 29, 3651])
def test_retention_setting_bounds(shop, days):
    with pytest.raises(DomainError, match="30 到 3650"):
        shop_retention_set(actor=SYSTEM, shop=shop, days=days)


def _case(shop, order, status, resolved_at):
    return Case.objects.create(shop=shop, number=f"AS{order.pk}{status[:3]}", order=order, customer=order.customer,
                               kind=CaseKind.REFUND_ONLY, status=status, resolved_at=resolved_at)


@pytest.fixture
def retention_world(shop, other_shop):
    """Given a shop keeping personal data 90 days, on 2026-11-20:
    old: a case closed 2026-06-01 (expired), customer has no other activity, chat with phone numbers;
    busy: a case closed long ago, but the customer also has an open case;
    fresh: a case closed 2026-11-01 (within 90 days);
    stranger: the other shop (default 365 days), also closed 2026-06-01."""
    shop_retention_set(actor=SYSTEM, shop=shop, days=90)
    old_c = CustomerFactory(shop=shop, name="王小明", phone="13811112222", wechat_id="wxm", email="w@example.com")
    old_o = OrderFactory(shop=shop, customer=old_c, placed_at=dt.datetime(2026, 5, 1, tzinfo=SH))
    _case(shop, old_o, CaseStatus.RESOLVED, dt.datetime(2026, 6, 1, tzinfo=SH))
    conv = Conversation.objects.create(shop=shop, customer=old_c, channel=Channel.values[0])
    Message.objects.create(shop=shop, conversation=conv, direction=Direction.values[0],
                           body="我的手机 13811112222，地址改一下")
    Message.objects.create(shop=shop, conversation=conv, direction=Direction.values[0], body="谢谢，已收到")
    OutboundMessage.objects.create(shop=shop, customer=old_c, channel="sms", trigger="case_resolved",
                                   recipient="13811112222", body="【小鹿】王小明您好，售后单CS1已处理完成，如有问题回电13811112222",
                                   context={"customer_name": "王小明", "case_no": "CS1"}, idempotency_key="ret-1",
                                   status="sent")
    Review.objects.create(shop=shop, customer=old_c, order=old_o, text="质量不错", author_name="小明的店铺号")

    busy_c = CustomerFactory(shop=shop, name="李忙", phone="13833334444")
    busy_old = OrderFactory(shop=shop, customer=busy_c, placed_at=dt.datetime(2026, 5, 1, tzinfo=SH))
    _case(shop, busy_old, CaseStatus.RESOLVED, dt.datetime(2026, 6, 1, tzinfo=SH))
    busy_new = OrderFactory(shop=shop, customer=busy_c, placed_at=dt.datetime(2026, 5, 2, tzinfo=SH))
    _case(shop, busy_new, CaseStatus.REQUESTED, None)

    fresh_c = CustomerFactory(shop=shop, name="赵新", phone="13855556666")
    fresh_o = OrderFactory(shop=shop, customer=fresh_c, placed_at=dt.datetime(2026, 10, 20, tzinfo=SH))
    _case(shop, fresh_o, CaseStatus.RESOLVED, dt.datetime(2026, 11, 1, tzinfo=SH))

    stranger_c = CustomerFactory(shop=other_shop, name="外店", phone="13877778888")
    stranger_o = OrderFactory(shop=other_shop, customer=stranger_c, placed_at=dt.datetime(2026, 5, 1, tzinfo=SH))
    _case(other_shop, stranger_o, CaseStatus.RESOLVED, dt.datetime(2026, 6, 1, tzinfo=SH))
    return {"old": (old_c, old_o), "busy": (busy_c, busy_old), "fresh": (fresh_c, fresh_o),
            "stranger": (stranger_c, stranger_o)}


def test_retention_anonymises_only_expired_closed_cases(shop, retention_world):
    with time_machine.travel(dt.datetime(2026, 11, 20, 12, tzinfo=SH), tick=False):
        results = pii_retention_sweep()

    old_c, old_o = (Customer.objects.get(pk=retention_world["old"][0].pk), Order.objects.get(pk=retention_world["old"][1].pk))
    assert (old_c.name, old_c.phone, old_c.phone_last4, old_c.wechat_id, old_c.email) == (ANONYMISED, "", "", "", "")
    assert (old_o.receiver_name, old_o.receiver_phone, old_o.address) == (ANONYMISED, "", "")
    assert sorted(Message.objects.values_list("body", flat=True)) == ["我的手机 138****2222，地址改一下", "谢谢，已收到"]
    busy_c = Customer.objects.get(pk=retention_world["busy"][0].pk)
    busy_o = Order.objects.get(pk=retention_world["busy"][1].pk)
    assert busy_c.phone == "13833334444"  # an open case (on another order) keeps the customer
    assert (busy_o.receiver_name, busy_o.receiver_phone) == (ANONYMISED, "")  # the expired order goes
    assert Order.objects.filter(customer=busy_c, receiver_phone="13833334444").count() == 1  # open one stays
    assert Customer.objects.get(pk=retention_world["fresh"][0].pk).phone == "13855556666"
    assert Customer.objects.get(pk=retention_world["stranger"][0].pk).phone == "13877778888"
    sent = OutboundMessage.objects.get(idempotency_key="ret-1")
    assert (sent.recipient, sent.context, sent.status, sent.trigger) == ("", {}, "sent", "case_resolved")
    assert sent.body == "【小鹿】（已匿名）您好，售后单CS1已处理完成，如有问题回电138****2222"
    assert Review.objects.get(customer=old_c).author_name == ANONYMISED
    by_shop = {r.shop_id: (r.orders, r.customers, r.messages, r.outbound, r.reviews) for r in results}
    assert by_shop[shop.pk] == (2, 1, 1, 1, 1)
    assert_audited("pii.retention", shop, after={"orders": 2, "customers": 1, "messages": 1, "outbound": 1,
                                                 "reviews": 1, "retention_days": 90})


def test_retention_deletes_evidence_photos_and_chat_attachments_of_expired_cases(shop, retention_world,
                                                                                    settings, tmp_path,
                                                                                    django_capture_on_commit_callbacks):
    from django.core.files.base import ContentFile

    from shouhou.cases.models import CaseEvidence

    settings.MEDIA_ROOT = str(tmp_path)
    old_c, old_o = retention_world["old"]
    fresh_c, fresh_o = retention_world["fresh"]
    label = CaseEvidence(case=Case.objects.get(order=old_o), kind="jpg", size=4, note="快递面单")
    label.file.save("label.jpg", ContentFile(b"jpg1"))
    kept = CaseEvidence(case=Case.objects.get(order=fresh_o), kind="jpg", size=4)
    kept.file.save("fresh.jpg", ContentFile(b"jpg2"))
    chat = Message(shop=shop, conversation=Conversation.objects.get(customer=old_c), direction=Direction.values[0],
                   body="[图片]")
    chat.attachment.save("photo.jpg", ContentFile(b"jpg3"))
    stored = [label.file.path, kept.file.path, chat.attachment.path]
    with time_machine.travel(dt.datetime(2026, 11, 20, 12, tzinfo=SH), tick=False), \
            django_capture_on_commit_callbacks(execute=True):
        result = shop_anonymise_expired(shop=shop)
    assert result.files == 2
    label.refresh_from_db()
    chat.refresh_from_db()
    assert (label.file.name, label.note) == ("", "（超过保留期，图片已删除）")
    assert chat.attachment.name == ""
    assert [Path(p).exists() for p in stored] == [False, True, False]  # the fresh case keeps its photo
    assert AuditEvent.objects.get(action="pii.retention").after["files"] == 2


def test_retention_keeps_an_opt_out_on_record_without_the_phone(shop, retention_world):
    from shouhou.notifications.models import ContactOptOut, OptOutRequest

    old_c = retention_world["old"][0]
    fresh_c = retention_world["fresh"][0]
    at = dt.datetime(2026, 5, 3, tzinfo=SH)
    OptOutRequest.objects.create(shop=shop, customer=old_c, source="sms_reply", contact_handle="13811112222",
                                 text="TD 13811112222", outcome="opted_out", scope="care", source_key="r1",
                                 received_at=at)
    ContactOptOut.objects.create(shop=shop, customer=old_c, phone="13811112222", channel="sms", scope="sms",
                                 source="tencent_sms")
    OptOutRequest.objects.create(shop=shop, customer=fresh_c, source="sms_reply", contact_handle="13855556666",
                                 text="TD", outcome="opted_out", scope="care", source_key="r2", received_at=at)
    with time_machine.travel(dt.datetime(2026, 11, 20, 12, tzinfo=SH), tick=False):
        shop_anonymise_expired(shop=shop)
    gone = OptOutRequest.objects.get(source_key="r1")
    assert (gone.contact_handle, gone.text, gone.outcome, gone.scope) == ("", "TD 138****2222", "opted_out", "care")
    assert not ContactOptOut.objects.filter(phone="13811112222").exists()
    assert OptOutRequest.objects.get(source_key="r2").contact_handle == "13855556666"  # within the period


def test_retention_is_idempotent(shop, retention_world):
    with time_machine.travel(dt.datetime(2026, 11, 20, 12, tzinfo=SH), tick=False):
        shop_anonymise_expired(shop=shop)
        again = shop_anonymise_expired(shop=shop)

    assert again.total == 0
    assert AuditEvent.objects.filter(action="pii.retention").count() == 1


def test_retention_default_is_a_year(other_shop):
    assert shop_retention_days(other_shop) == 365


def test_audit_page_names_actorless_events_in_the_readers_language(client, shop, shop_admin):
    shop_retention_set(shop=shop, days=200, actor=SYSTEM)
    client.force_login(shop_admin)
    assert "系统/令牌" in client.get("/accounts/audit/").content.decode()
    client.cookies["django_language"] = "en"
    text = client.get("/accounts/audit/").content.decode()
    assert "System / API token" in text and "系统/令牌" not in text
