"""REST API for reviews: ingest, import, platform push, recovery tasks, showcase, referrals, guards, QA."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404
from ninja import File, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field, ValidationError, field_validator

from shouhou.accounts import permissions as perm
from shouhou.accounts.actors import SystemActor
from shouhou.api.errors import DomainError
from shouhou.commerce.models import Customer, Order, Shop
from shouhou.core.clock import local_tz
from shouhou.core.idempotency import idempotency_claim, idempotency_store_result
from shouhou.core.jsonbody import JsonBodyError, json_body
from shouhou.core.signatures import SignatureError
from shouhou.core.webhooks import webhook_verify
from shouhou.reviews import selectors, services
from shouhou.reviews.choices import ComplaintType, ReviewKind, ReviewSource
from shouhou.reviews.classifier.taxonomy import split_types
from shouhou.reviews.classifier.whole import classify_whole
from shouhou.reviews.guards import guard_outgoing, inspect_reply
from shouhou.reviews.importers import ImportFormatError, parse_review_file
from shouhou.reviews.models import RecoveryTask, Review
from shouhou.reviews.scripts import allowed_remedies

router = Router(tags=["评价与口碑"])

MAX_BATCH = 5000


def _need(request, action: str) -> None:
    if not request.auth.can(action):
        raise DomainError("没有执行该操作的权限", status=403)


def _refused(exc: services.ReviewRefused) -> DomainError:
    return DomainError(str(exc), field=exc.field)


# --- schemas -------------------------------------------------------------------------------------------

EARLIEST, LATEST = 2000, 2100  # a time outside these years is a typo, not a review


def _sane_time(value: datetime | None, field: str) -> datetime | None:
    """Aware times within 2000–2099, stored in UTC (PostgreSQL refuses offsets beyond ±15:59)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=local_tz())
    if not EARLIEST <= value.year < LATEST:
        raise DomainError(f"{field}: 时间应在 {EARLIEST}–{LATEST - 1} 年之间", field=field, status=422)
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError) as exc:
        raise DomainError(f"{field}: 时间超出范围", field=field, status=422) from exc


class _CleanIn(Schema):
    """Text from platforms and groups may carry NUL characters, which PostgreSQL cannot store: drop them."""

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value):
        return value.replace("\x00", "") if isinstance(value, str) else value

    @field_validator("posted_at", mode="after", check_fields=False)
    @classmethod
    def _posted_at(cls, value):
        if value is not None and not EARLIEST <= value.year < LATEST:
            raise ValueError(f"时间应在 {EARLIEST}–{LATEST - 1} 年之间")
        return value.astimezone(UTC) if value is not None and value.tzinfo is not None else value


class ReviewIn(_CleanIn):
    text: str = ""
    platform: str = ""
    external_id: str = ""
    order_no: str = ""
    line_key: str = ""
    rating: int | None = None
    posted_at: datetime | None = None
    author_name: str = ""


class ReviewBatchIn(Schema):
    items: list[ReviewIn]


class ReviewIngestOut(Schema):
    created: int
    duplicates: int
    tasks: int
    alerts: int
    not_recent: int = Field(0, description="负面评价中发表早于 recovery_within_days 天的条数：已保存并计入统计，不建挽回任务、不发社群预警")
    recovery_within_days: int = Field(30, description="多少天内的负面评价建挽回任务（0 为不限）")
    review_ids: list[int]


class PushOut(ReviewIngestOut):
    errors: list[str] = Field([], description="未保存的评价及原因（第 N 条 字段: 问题）；其余照常保存")


class ImportOut(ReviewIngestOut):
    errors: list[str]
    warnings: list[str] = Field([], description="已导入、但需要知道的行（例如没有评价ID、订单号和时间：重复导入会重复保存）")


def _type_label(code: str) -> str:
    """A complaint type's name in the request's language (「假货/非正品」, "Counterfeit / not genuine"); "" for none."""
    return str(ComplaintType(code).label) if code in ComplaintType.values else ""


def _others_labels(value: str) -> list[str]:
    return [_type_label(c) for c in split_types(value) if c in ComplaintType.values]


class _TypeLabels(Schema):
    """complaint_type_label and complaint_others_labels, read from the codes (a model row or a dict)."""

    @staticmethod
    def resolve_complaint_type_label(obj) -> str:
        return _type_label(obj["complaint_type"] if isinstance(obj, dict) else obj.complaint_type)

    @staticmethod
    def resolve_complaint_others_labels(obj) -> list[str]:
        return _others_labels(obj["complaint_others"] if isinstance(obj, dict) else obj.complaint_others)


class ReviewOut(_TypeLabels):
    id: int
    kind: str
    platform: str
    external_id: str
    text: str
    rating: int | None
    sentiment: int | None
    sentiment_score: float | None
    complaint_type: str
    complaint_type_label: str = ""
    complaint_others: str
    complaint_others_labels: list[str] = []
    aspect: str
    order_id: int | None
    order_no: str
    live_session_id: int | None
    customer_id: int | None
    is_showcased: bool
    posted_at: datetime | None
    mixed: bool = False  # positive, with a complaint type named (Review.mixed)


class ClassifyIn(_CleanIn):
    texts: list[str]


class ClassifyOut(_TypeLabels):
    sentiment: int
    sentiment_score: float
    complaint_type: str
    complaint_type_label: str = ""
    complaint_others: str
    complaint_others_labels: list[str] = []
    aspect: str
    mixed: bool = False  # read positive, yet a clear complaint is named (complaint_type set, sentiment 1)


class TextIn(_CleanIn):
    text: str


class GuardOut(Schema):
    allowed: bool
    reasons: list[str]


class FlagOut(Schema):
    category: str
    reason: str
    match: str


class TaskOut(Schema):
    id: int
    number: str
    status: str
    review_id: int
    review_text: str
    complaint_type: str
    complaint_type_label: str = ""
    complaint_others: str = ""
    complaint_others_labels: list[str] = []
    # the remedies the policy allows for the complaint type (what POST …/remedy accepts), explanation first
    allowed_remedies: list[str] = []
    aspect: str
    order_no: str
    due_at: datetime
    breached: bool
    is_misunderstanding: bool
    suggested_reply: str
    public_reply: str
    public_replied_at: datetime | None
    contacted_at: datetime | None
    contact_note: str
    remedy: str
    remedy_amount: Decimal | None
    remedy_note: str
    outcome: str
    new_rating: int | None
    assignee_id: int | None
    closed_at: datetime | None


class ContactIn(_CleanIn):
    note: str


class RemedyIn(_CleanIn):
    remedy: str
    amount: Decimal | None = None
    note: str = ""
    override_misunderstanding: bool = False


class CloseIn(_CleanIn):
    outcome: str
    new_rating: int | None = None


class AssignIn(_CleanIn):
    assignee_id: int | None = None


class ShowcaseIn(_CleanIn):
    showcased: bool = True


class GroupMessageIn(_CleanIn):
    group_id: str
    group_name: str = ""
    text: str
    external_id: str = ""
    author_name: str = ""
    posted_at: datetime | None = None


class ReferralIn(_CleanIn):
    referrer_id: int
    friend_id: int
    order_id: int
    kind: str
    points: int = 0
    coupon_amount: Decimal | None = None


class ReferralOut(Schema):
    id: int
    created: bool
    referrer_id: int
    friend_id: int
    order_id: int
    kind: str
    points: int
    coupon_amount: Decimal | None
    referrer_points: int


class AgentQaOut(Schema):
    agent_id: int
    username: str
    messages: int
    flagged_messages: int
    flag_rate: float
    by_category: dict[str, int]


def _task_out(t: RecoveryTask) -> dict:
    r = t.review
    return {**{f: getattr(t, f) for f in TaskOut.model_fields if hasattr(t, f)},
            "review_id": r.pk, "review_text": r.text, "complaint_type": r.complaint_type, "aspect": r.aspect,
            "complaint_type_label": _type_label(r.complaint_type), "complaint_others": r.complaint_others,
            "complaint_others_labels": _others_labels(r.complaint_others),
            "allowed_remedies": allowed_remedies(r.complaint_type, r.complaint_others), "order_no": r.order_no}


_ID_FIELDS = ("external_id", "order_no", "line_key", "author_name", "platform")
_PUSH_PROBLEMS = {"int_parsing": "应为 1–5 的整数", "int_from_float": "应为 1–5 的整数", "int_type": "应为 1–5 的整数",
                  "string_type": "应为文本", "datetime_parsing": "时间格式无法识别（例：2026-11-20T10:30:00+08:00）",
                  "datetime_from_date_parsing": "时间格式无法识别（例：2026-11-20T10:30:00+08:00）",
                  "datetime_type": "时间格式无法识别（例：2026-11-20T10:30:00+08:00）"}


def _pushed_reviews(raw: list, platform: str) -> tuple[list[services.ReviewInput], list[str]]:
    """The pushed reviews that can be read, and why each other one was left out (「第 2 条 rating: 应为 1–5 的整数」):
    one odd review no longer loses the whole push, which the platform's retries would fail the same way. A number
    given for an id (「"external_id": 98765」) is read as its digits, a null text as no text."""
    items: list[services.ReviewInput] = []
    errors: list[str] = []
    for n, review in enumerate(raw, start=1):
        if not isinstance(review, dict):
            errors.append(f"第 {n} 条: 应为 JSON 对象")
            continue
        fields = {"platform": platform, **review}
        for key in _ID_FIELDS:
            value = fields.get(key)
            if isinstance(value, int) and not isinstance(value, bool):
                fields[key] = str(value)
        if fields.get("text") is None:
            fields["text"] = ""
        try:
            parsed = ReviewIn(**fields)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ())) or "reviews"
            said = (str(first.get("ctx", {}).get("error", "")) if first.get("type") == "value_error"
                    else _PUSH_PROBLEMS.get(first.get("type", ""), "格式不对"))
            errors.append(f"第 {n} 条 {where}: {said or '格式不对'}")
            continue
        except TypeError:
            errors.append(f"第 {n} 条: 字段名应为文本")
            continue
        if parsed.rating is not None and not 1 <= parsed.rating <= 5:
            errors.append(f"第 {n} 条 rating: 应为 1–5，实际为 {parsed.rating}")
            continue
        items.append(services.ReviewInput(kind=ReviewKind.REVIEW, **parsed.dict()))
    return items, errors


def _inputs(items: list[ReviewIn], kind: str = ReviewKind.REVIEW) -> list[services.ReviewInput]:
    if len(items) > MAX_BATCH:
        raise DomainError(f"一次最多提交 {MAX_BATCH} 条评价", field="items")
    out = []
    for i, it in enumerate(items):
        if it.rating is not None and not 1 <= it.rating <= 5:
            raise DomainError(f"第 {i + 1} 条: 评分应为 1–5", field=f"items.{i}.rating")
        out.append(services.ReviewInput(kind=kind, **it.dict()))
    return out


# --- reviews -------------------------------------------------------------------------------------------

@router.post("/", response={201: ReviewIngestOut}, summary="提交评价（单条或批量，按平台+外部ID幂等）")
def reviews_create(request, payload: ReviewBatchIn):
    _need(request, perm.REPLY)
    result = services.reviews_ingest(shop=request.auth.shop, items=_inputs(payload.items), actor=request.auth,
                                      source=ReviewSource.API)
    return Status(201, result.as_dict())


@router.get("/", response=list[ReviewOut], summary="评价列表")
def reviews_list(request, sentiment: int | None = Query(None, ge=0, le=1), complaint_type: str = "", kind: str = "",
                 limit: int = Query(100, ge=1, le=500), offset: int = Query(0, ge=0, le=10_000_000)):
    _need(request, perm.VIEW)
    qs = selectors.review_list(shop=request.auth.shop, sentiment=sentiment, complaint_type=complaint_type, kind=kind)
    return list(qs[offset: offset + limit])


@router.post("/import", response={201: ImportOut}, summary="导入评价 CSV/Excel（按平台+外部ID幂等）")
def reviews_import(request, file: UploadedFile = File(...), platform: str = ""):  # noqa: B008
    _need(request, perm.IMPORT)
    try:
        parsed = parse_review_file(file.read(), file.name or "upload.csv", default_platform=platform)
    except ImportFormatError as exc:
        raise DomainError(str(exc), field="file") from exc
    result = services.reviews_ingest(shop=request.auth.shop, items=parsed.items, actor=request.auth,
                                      source=ReviewSource.IMPORT)
    return Status(201, {**result.as_dict(), "errors": parsed.errors, "warnings": parsed.warnings})


@router.post("/classify", response=list[ClassifyOut], summary="只分类不保存")
def reviews_classify(request, payload: ClassifyIn):
    _need(request, perm.VIEW)
    if len(payload.texts) > MAX_BATCH:
        raise DomainError(f"一次最多 {MAX_BATCH} 条", field="texts")
    return [p.__dict__ for p in classify_whole(payload.texts)]  # whole text, line breaks dropped


@router.post("/{review_id}/showcase", response=ReviewOut, summary="精选展示好评")
def review_showcase(request, review_id: int, payload: ShowcaseIn):
    _need(request, perm.REPLY)
    review = get_object_or_404(Review, shop=request.auth.shop, pk=review_id)
    try:
        return services.review_showcase_set(review=review, showcased=payload.showcased, actor=request.auth)
    except services.ReviewRefused as exc:
        raise _refused(exc) from exc


@router.get("/showcase", response=list[ReviewOut], summary="精选好评")
def reviews_showcase(request):
    _need(request, perm.VIEW)
    return [ReviewOut.from_orm(r).model_copy(update={"text": selectors.showcase_text(r.text)})
            for r in selectors.showcase_list(shop=request.auth.shop)]


WEBHOOK_ACTOR = SystemActor("reviews-webhook")  # the signature, not a role, admits a push

# --- platform push (signed, idempotent) ------------------------------------------------------------------

@router.post("/webhook/{shop_code}", auth=None, response={200: PushOut, 202: PushOut},
             summary="平台评价推送（HMAC 签名，按店铺验签，按事件ID幂等）")
def reviews_webhook(request, shop_code: str):
    shop = Shop.objects.filter(code=shop_code).first()
    if shop is None:
        raise Http404
    secret = services.review_webhook_secret(shop)
    if not secret:
        raise DomainError("店铺未配置推送密钥（shop.settings.webhook_secret 或 SHOUHOU_WEBHOOK_SECRET），拒绝推送",
                          status=401)
    with transaction.atomic():  # a refusal below rolls the signature's claim back: the fixed push can be resent
        try:
            delivery = webhook_verify(request, secret=secret, scope="reviews.webhook", shop=shop)
        except SignatureError as exc:
            raise DomainError(f"签名校验失败：{exc}", status=401) from exc
        if not delivery.first:  # the same signed request again: the first answer, nothing applied twice
            return Status(200, delivery.result)
        try:
            body = json_body(request.body, empty={})
        except JsonBodyError as exc:
            raise DomainError(str(exc)) from exc
        if not isinstance(body, dict):
            raise DomainError("请求体应为 JSON 对象")
        event_id = str(body.get("event_id") or "").strip()
        if not event_id:
            raise DomainError("缺少 event_id", field="event_id")
        raw = body.get("reviews")
        if not isinstance(raw, list):
            raise DomainError("reviews 应为数组", field="reviews")
        platform = str(body.get("platform") or "")
        if len(raw) > MAX_BATCH:
            raise DomainError(f"一次最多推送 {MAX_BATCH} 条评价", field="reviews")
        items, errors = _pushed_reviews(raw, platform)
        if raw and not items:  # nothing to keep: the sender must fix the push (a retry would fail the same way)
            raise DomainError("；".join(errors[:5]), field="reviews")
        key, created = idempotency_claim(scope="reviews.webhook", key=f"{shop.pk}:{event_id}", shop=shop)
        if not created:
            delivery.remember(key.result)
            return Status(200, key.result)
        result = {**services.reviews_ingest(shop=shop, items=items, actor=WEBHOOK_ACTOR,
                                            source=ReviewSource.WEBHOOK).as_dict(), "errors": errors}
        idempotency_store_result(key, result)
        delivery.remember(result)
    return Status(202, result)


# --- recovery tasks ------------------------------------------------------------------------------------------

@router.get("/tasks", response=list[TaskOut], summary="差评挽回任务列表")
def tasks_list(request, status: str = "", complaint_type: str = "", breached: bool | None = None,
               assignee_id: int | None = Query(None, ge=1, le=2_147_483_647), q: str = "",
               limit: int = Query(100, ge=1, le=500),
               offset: int = Query(0, ge=0, le=10_000_000)):
    _need(request, perm.VIEW)
    qs = selectors.recovery_task_list(shop=request.auth.shop, status=status, complaint_type=complaint_type,
                                      breached=breached, assignee_id=assignee_id, q=q)
    return [_task_out(t) for t in qs[offset: offset + limit]]


def _task(request, task_id: int) -> RecoveryTask:
    try:
        return selectors.recovery_task_get(shop=request.auth.shop, pk=task_id)
    except RecoveryTask.DoesNotExist:
        raise Http404 from None


@router.get("/tasks/{task_id}", response=TaskOut, summary="挽回任务详情")
def task_detail(request, task_id: int):
    _need(request, perm.VIEW)
    return _task_out(_task(request, task_id))


def _step(request, task_id: int, action: str, fn, **kwargs):
    _need(request, action)
    task = _task(request, task_id)
    try:
        fn(task=task, actor=request.auth, **kwargs)
    except services.ReviewRefused as exc:
        raise _refused(exc) from exc
    return _task_out(_task(request, task_id))


@router.post("/tasks/{task_id}/reply", response=TaskOut, summary="公开回复（经合规与质检检查）")
def task_reply(request, task_id: int, payload: TextIn):
    return _step(request, task_id, perm.REPLY, services.recovery_reply_public, text=payload.text)


@router.post("/tasks/{task_id}/contact", response=TaskOut, summary="记录私下联系")
def task_contact(request, task_id: int, payload: ContactIn):
    return _step(request, task_id, perm.REPLY, services.recovery_contact, note=payload.note)


@router.post("/tasks/{task_id}/remedy", response=TaskOut, summary="补救方案（按政策与审批额度）")
def task_remedy(request, task_id: int, payload: RemedyIn):
    return _step(request, task_id, perm.COMPENSATE, services.recovery_set_remedy, remedy=payload.remedy,
                 amount=payload.amount, note=payload.note, override_misunderstanding=payload.override_misunderstanding)


@router.post("/tasks/{task_id}/close", response=TaskOut, summary="标记结果并结束")
def task_close(request, task_id: int, payload: CloseIn):
    return _step(request, task_id, perm.REPLY, services.recovery_close, outcome=payload.outcome,
                 new_rating=payload.new_rating)


# --- community, referrals -----------------------------------------------------------------------------------

@router.post("/community/messages", response={201: ReviewIngestOut}, summary="社群消息（负面消息提醒群管理员）")
def community_messages(request, payload: list[GroupMessageIn]):
    _need(request, perm.REPLY)
    items = [services.ReviewInput(text=m.text, platform="group", external_id=m.external_id, kind=ReviewKind.GROUP_MESSAGE,
                                  group_external_id=m.group_id, group_name=m.group_name, author_name=m.author_name,
                                  posted_at=m.posted_at) for m in payload[:MAX_BATCH]]
    return Status(201, services.reviews_ingest(shop=request.auth.shop, items=items, actor=request.auth,
                                                      source=ReviewSource.API).as_dict())


@router.post("/referrals", response={201: ReferralOut, 200: ReferralOut}, summary="记录推荐奖励（好友下单后）")
def referral_create(request, payload: ReferralIn):
    _need(request, perm.COMPENSATE)
    shop = request.auth.shop
    referrer = get_object_or_404(Customer, shop=shop, pk=payload.referrer_id)
    friend = get_object_or_404(Customer, shop=shop, pk=payload.friend_id)
    order = get_object_or_404(Order, shop=shop, pk=payload.order_id)
    try:
        reward, created = services.referral_reward_record(shop=shop, referrer=referrer, friend=friend, order=order,
                                                          kind=payload.kind, points=payload.points,
                                                          coupon_amount=payload.coupon_amount, actor=request.auth)
    except services.ReviewRefused as exc:
        raise _refused(exc) from exc
    referrer.refresh_from_db(fields=["points"])
    return Status(201 if created else 200, {"id": reward.pk, "created": created, "referrer_id": reward.referrer_id,
                                       "friend_id": reward.friend_id, "order_id": reward.order_id, "kind": reward.kind,
                                       "points": reward.points, "coupon_amount": reward.coupon_amount,
                                       "referrer_points": referrer.points})


# --- guards and QA ---------------------------------------------------------------------------------------------

@router.post("/guard", response=GuardOut, summary="外发内容合规检查（好评返现等）")
def guard_check(request, payload: TextIn):
    _need(request, perm.VIEW)
    g = guard_outgoing(payload.text)
    return {"allowed": g.allowed, "reasons": g.reasons}


@router.post("/inspect", response=list[FlagOut], summary="客服回复质检")
def inspect_check(request, payload: TextIn):
    _need(request, perm.VIEW)
    return [f.__dict__ for f in inspect_reply(payload.text)]


@router.get("/qa-report", response=list[AgentQaOut], summary="质检报告：每位客服的问题回复")
def qa_report(request, since: datetime | None = None, until: datetime | None = None):
    _need(request, perm.TEAM_MANAGE)
    since, until = _sane_time(since, "since"), _sane_time(until, "until")
    rows = selectors.qa_report(shop=request.auth.shop, since=since, until=until)
    return [{"agent_id": r.agent_id, "username": r.username, "messages": r.messages,
             "flagged_messages": r.flagged_messages, "flag_rate": round(r.flag_rate, 4), "by_category": r.by_category}
            for r in rows]
