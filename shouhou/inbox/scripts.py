"""话术: reply templates with {variables}, grouped by scenario, suggested by ticket category and by the
after-sales complaint type triage reads in the customer's first messages (counterfeit, a refused return, a
missing gift are each their own scenario).

    scripts_install_defaults(shop=...) -> int        # the default Chinese library (idempotent)
    script_save(shop=..., scenario=..., title=..., body=..., categories=[...], script=None) -> Script
    script_render(script=..., ticket=..., extra={...}) -> str
    scripts_suggest(ticket=..., limit=5) -> list[Script]
    script_variables(body) -> list[str]              # raises ScriptError naming an unknown variable

The defaults follow the tone the shop practice asks for: apologise first, promise what we will do,
ask the customer what they prefer (换货还是退款？), never blame the customer, the carrier or the
warehouse. A test runs every default through shouhou.reviews.guards (guard_outgoing, inspect_reply).
"""

from __future__ import annotations

import string
from dataclasses import dataclass

from django.db import transaction
from django.utils import translation

from shouhou.inbox.choices import Direction
from shouhou.inbox.choices import ScriptScenario as S
from shouhou.inbox.choices import TicketCategory as C
from shouhou.inbox.models import Message, Script

# Variable -> (meaning, what is written when the ticket does not know it).
VARIABLES: dict[str, tuple[str, str]] = {
    "customer": ("顾客称呼", "亲"),
    "product": ("商品名称（订单第一件商品）", "商品"),
    "order_no": ("订单号", "您的订单"),
    "remedy": ("政策给出的处理方式（有售后单时）", "合适的售后方案"),
    "tracking_no": ("运单号", "（运单号）"),
    "carrier": ("快递公司", "快递"),
    "agent": ("客服名字", "客服"),
    "shop": ("店铺名称", "本店"),
    "deadline": ("截止时间（售后单或工单）", "约定时间"),
}


class ScriptError(ValueError):
    """A script that cannot be saved or rendered; the message names the field or the variable."""

    def __init__(self, message: str, *, field: str = "body"):
        super().__init__(message)
        self.field = field


def script_variables(body: str) -> list[str]:
    """The variables a body uses, in order. Raises ScriptError on an unknown name or broken braces."""
    names: list[str] = []
    try:
        parsed = list(string.Formatter().parse(body or ""))
    except ValueError as exc:
        raise ScriptError(f"话术内容的花括号不成对：{exc}。变量写成 {{customer}}，普通花括号请写两次 {{{{ }}}}") from exc
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if name == "" or name.isdigit():
            raise ScriptError("话术里有空变量 {}，请写变量名，例如 {customer}")
        if name not in VARIABLES:
            known = "、".join("{" + n + "}" for n in VARIABLES)
            raise ScriptError(f"未知变量 {{{name}}}；可用变量：{known}")
        if spec or conversion:
            raise ScriptError(f"变量 {{{name}}} 不支持格式说明，请只写 {{{name}}}")
        if name not in names:
            names.append(name)
    return names


def _check_categories(categories) -> list[str]:
    values = list(categories or [])
    unknown = [c for c in values if c not in C.values]
    if unknown:
        raise ScriptError(f"未知的工单分类：{'、'.join(map(str, unknown))}", field="categories")
    return values


@transaction.atomic
def script_save(*, shop, scenario: str, title: str, body: str, categories=None, is_active: bool = True,
                position: int = 0, script: Script | None = None) -> Script:
    """Create or update a script after validating its variables, scenario and categories."""
    title, body = (title or "").strip(), (body or "").strip()
    if not title:
        raise ScriptError("请填写话术标题", field="title")
    if not body:
        raise ScriptError("请填写话术内容")
    if scenario not in S.values:
        raise ScriptError(f"未知的场景：{scenario}", field="scenario")
    script_variables(body)
    from shouhou.reviews.guards import guard_refusal

    # A script is sent as is by many agents: check it once, here.
    refusal = guard_refusal(body, field="话术内容")
    if refusal:
        raise ScriptError(refusal)
    cats = _check_categories(categories)
    clash = Script.objects.filter(shop=shop, scenario=scenario, title=title)
    if script is not None:
        clash = clash.exclude(pk=script.pk)
    if clash.exists():
        raise ScriptError(f"同一场景下已有标题为「{title}」的话术", field="title")
    if script is None:
        script = Script(shop=shop)
    script.scenario, script.title, script.body, script.categories = scenario, title, body, cats
    script.is_active, script.position = is_active, position
    script.save()
    return script


# --- rendering ------------------------------------------------------------------------------------

def _display_name(user) -> str:
    if user is None:
        return ""
    return (getattr(user, "first_name", "") or user.get_username() or "").strip()


def _latest_shipment(order):
    if order is None:
        return None
    return order.shipments.filter(is_return=False).order_by("-shipped_at", "-pk").first()


def ticket_values(ticket) -> dict[str, str]:
    """What the ticket knows, by variable name ("" when unknown)."""
    from django.utils.timezone import localtime

    from shouhou.policies.engine import KIND_ZH

    values = dict.fromkeys(VARIABLES, "")
    if ticket is None:
        return values
    values["shop"] = ticket.shop.name if ticket.shop_id else ""
    customer = ticket.customer
    if customer is not None and customer.name:
        values["customer"] = customer.name
    case = ticket.case
    order = ticket.order or (case.order if case is not None else None)
    if order is not None:
        values["order_no"] = order.order_no
        line = case.order_line if case is not None and case.order_line_id else order.lines.order_by("pk").first()
        if line is not None:
            values["product"] = line.product_name
        shipment = _latest_shipment(order)
        if shipment is not None:
            values["tracking_no"] = shipment.tracking_no
            values["carrier"] = shipment.get_carrier_display() if shipment.carrier else ""
    if case is not None:
        kind = case.kind or (case.decision or {}).get("recommended") or ""
        values["remedy"] = KIND_ZH.get(kind, "")
        if case.deadline_at:
            values["deadline"] = f"{localtime(case.deadline_at):%m月%d日 %H:%M}"
    if not values["deadline"] and ticket.resolution_due_at:
        values["deadline"] = f"{localtime(ticket.resolution_due_at):%m月%d日 %H:%M}"
    values["agent"] = _display_name(ticket.assignee)
    return values


class _Values(dict):
    def __missing__(self, key):  # unknown names never reach here (validated), but never raise at render time
        return ""


def script_render(*, script, ticket=None, extra: dict | None = None) -> str:
    """The script body with its variables filled from the ticket; `extra` overrides (e.g. agent=me). The values are
    the customer's words, in Chinese like the script's own text, whatever language the agent reads the desk in
    (before 2026-12-07 an English desk filled {carrier} as 「YTO Express」 into a Chinese reply)."""
    script_variables(script.body)
    with translation.override("zh-hans"):
        values = {k: (str(v) if v is not None else v) for k, v in ticket_values(ticket).items()}
        for key, value in (extra or {}).items():
            if key in VARIABLES and value not in (None, ""):
                values[key] = str(value)
        filled = _Values({k: (v or str(VARIABLES[k][1])) for k, v in values.items()})
        return script.body.format_map(filled)


# --- suggestions ----------------------------------------------------------------------------------

# Per ticket category, the scenarios an agent most likely needs, best first.
CATEGORY_SCENARIOS: dict[str, list[str]] = {
    C.QUALITY: [S.QUALITY_PROBLEM, S.SMALL_DEFECT, S.REPEATED_EXCHANGE, S.MISUNDERSTANDING],
    C.SAFETY: [S.QUALITY_PROBLEM],
    C.LOGISTICS: [S.LOGISTICS_DELAY, S.LATE_SHIPMENT, S.LOGISTICS_DAMAGE],
    C.USAGE: [S.USAGE, S.MISUNDERSTANDING],
    C.WRONG_MISSING: [S.WRONG_ITEM],
    C.SIZE_FIT: [S.SIZE_FIT, S.REPEATED_EXCHANGE],
    C.PRICE_CHANGE: [S.PRICE_DROP],
    C.RETURN_REQUEST: [S.NO_REASON_RETURN, S.SIZE_FIT, S.REPEATED_EXCHANGE],
    C.SERVICE_COMPLAINT: [S.SERVICE_ATTITUDE, S.MISUNDERSTANDING, S.REPEATED_EXCHANGE],
    C.OTHER: [],
}
GENERIC_SCENARIOS = [S.GREETING, S.CLOSING]


# Per complaint type (reviews taxonomy, as triage reads it), the scenarios that fit it first; the scenarios in
# TYPE_ONLY are offered only for their types, and UNFIT ones never for the type (a counterfeit is not a 「小瑕疵」
# to keep for a compensation, nor a quality problem to exchange: the remedy policy allows it return & refund or
# refund only, reviews.scripts.REMEDY_POLICY; a missing live-room gift is not a wrong item to photograph and send
# back).
TYPE_SCENARIOS: dict[str, list[str]] = {
    "counterfeit": [S.COUNTERFEIT],
    "after_sales": [S.AFTER_SALES, S.NO_REASON_RETURN],
    "promise_not_kept": [S.PROMISE_NOT_KEPT],
    "packaging": [S.LOGISTICS_DAMAGE],
    "dislike": [S.NO_REASON_RETURN],
}
TYPE_ONLY = {S.COUNTERFEIT: {"counterfeit"}, S.AFTER_SALES: {"after_sales"}, S.PROMISE_NOT_KEPT: {"promise_not_kept"}}
UNFIT: dict[str, set[str]] = {
    "counterfeit": {S.SMALL_DEFECT, S.MISUNDERSTANDING, S.REPEATED_EXCHANGE, S.QUALITY_PROBLEM},
    "promise_not_kept": {S.WRONG_ITEM},
}


def ticket_complaint_type(ticket) -> str:
    """The complaint type triage read when it opened the ticket (stored on it), kept only when it belongs to the
    ticket's category (an agent who re-categorised the ticket decides). A ticket triage did not open (a category
    given by the system, or one older than the stored type) is read again from its first customer messages."""
    from shouhou.inbox.triage import belongs_to, read

    if ticket.complaint_type is not None:
        return ticket.complaint_type if belongs_to(ticket.complaint_type, ticket.category) else ""
    text = ""
    if ticket.conversation_id:
        text = "\n".join(Message.objects.filter(conversation_id=ticket.conversation_id, direction=Direction.INBOUND)
                         .order_by("created_at", "pk").values_list("body", flat=True)[:20])
    category, ctype, _reasons = read(text or ticket.subject or "")
    return ctype if category == ticket.category else ""


def scripts_suggest(*, ticket, limit: int = 5) -> list[Script]:
    """Active scripts for the ticket: those made for its category (the complaint type's scenarios first, then
    in the category's scenario order), then the generic ones (greeting, closing). A shop has dozens of
    scripts: ranked in Python."""
    scripts = list(Script.objects.filter(shop_id=ticket.shop_id, is_active=True))
    ctype = ticket_complaint_type(ticket)
    order = [*TYPE_SCENARIOS.get(ctype, []), *CATEGORY_SCENARIOS.get(ticket.category, [])]
    unfit = UNFIT.get(ctype, set())

    def fits(s: Script) -> bool:
        return (ticket.category in (s.categories or []) and s.scenario not in unfit
                and ctype in TYPE_ONLY.get(s.scenario, {ctype}))

    def rank(s: Script) -> tuple:
        scenario_rank = order.index(s.scenario) if s.scenario in order else len(order)
        return (scenario_rank, s.position, -s.usage_count, s.pk)

    matching = sorted((s for s in scripts if fits(s)), key=rank)
    chosen = matching[:limit]
    if len(chosen) < limit:
        seen = {s.pk for s in chosen}
        generic = sorted((s for s in scripts if s.pk not in seen and (s.scenario in GENERIC_SCENARIOS
                                                                       or not s.categories)),
                         key=lambda s: (GENERIC_SCENARIOS.index(s.scenario) if s.scenario in GENERIC_SCENARIOS
                                        else len(GENERIC_SCENARIOS), s.position, s.pk))
        chosen += generic[: limit - len(chosen)]
    return chosen


# --- the default library --------------------------------------------------------------------------

@dataclass(frozen=True)
class DefaultScript:
    scenario: str
    title: str
    categories: tuple[str, ...]
    body: str


# The eight classic scenarios each ask what the customer prefers (…还是退款？) after apologising.
CLASSIC_SCENARIOS = (S.SMALL_DEFECT, S.QUALITY_PROBLEM, S.PRICE_DROP, S.LATE_SHIPMENT, S.WRONG_ITEM,
                     S.NO_REASON_RETURN, S.REPEATED_EXCHANGE, S.LOGISTICS_DAMAGE)

DEFAULT_SCRIPTS: list[DefaultScript] = [
    DefaultScript(S.GREETING, "首次接待", (), "{customer}您好，我是{shop}的售后客服{agent}，很高兴为您服务，请问有什么可以帮您？"),
    DefaultScript(S.GREETING, "让顾客久等", (),
                  "{customer}您好，抱歉让您久等了，我是客服{agent}，接下来由我为您处理，请您放心。"),
    DefaultScript(S.SMALL_DEFECT, "小瑕疵：道歉并给选择", (C.QUALITY,),
                  "{customer}您好，非常抱歉{product}有小瑕疵，影响了您的心情，是我们检查不够仔细。"
                  "麻烦您拍一张照片发给我，我马上为您处理。您看是换货还是退款？"
                  "如果您愿意留下商品，我也可以按店铺政策为您申请一份补偿。"),
    DefaultScript(S.QUALITY_PROBLEM, "质量问题：优先处理", (C.QUALITY, C.SAFETY),
                  "{customer}您好，真的很抱歉{product}出现了质量问题，给您添麻烦了。订单{order_no}我已经登记，"
                  "会优先为您处理，寄回的运费由我们承担。请问您希望换货还是退款？"),
    DefaultScript(S.QUALITY_PROBLEM, "质量问题：按政策办理", (C.QUALITY,),
                  "{customer}您好，抱歉让您遇到这样的问题。按照店铺售后政策，订单{order_no}可以为您办理{remedy}，"
                  "我现在就为您提交，处理进度会及时同步给您。您看是换货还是退款？"),
    DefaultScript(S.PRICE_DROP, "买完降价：价保退差", (C.PRICE_CHANGE,),
                  "{customer}您好，理解您的心情，刚买完就降价确实让人不舒服，抱歉给您带来这样的体验。"
                  "我马上为您核对订单{order_no}的下单价格，符合价保规则的差价会原路退回。"
                  "如果您不想要了，也可以按政策办理，您看是申请退差价，还是退款？"),
    DefaultScript(S.LATE_SHIPMENT, "发货延迟：催仓并给选择", (C.LOGISTICS,),
                  "{customer}您好，非常抱歉让您久等了，订单{order_no}没有按时发出，是我们的安排不到位。"
                  "我已经请仓库优先为您发货，发出后第一时间把运单号发给您。您看是继续为您发货，还是退款？"),
    DefaultScript(S.WRONG_ITEM, "发错货/漏发：补发或退款", (C.WRONG_MISSING,),
                  "{customer}您好，非常抱歉给您发错了商品，这是我们的失误，耽误您的时间了。"
                  "麻烦您拍一下收到的商品和快递面单，我马上为您处理，寄回的运费由我们承担。"
                  "您希望换货（为您补发正确的商品）还是退款？"),
    DefaultScript(S.NO_REASON_RETURN, "坚持无理由退货：先查再办", (C.RETURN_REQUEST,),
                  "{customer}您好，理解您不想要的心情，抱歉这次商品没能让您满意。我先帮您查一下订单{order_no}："
                  "在无理由退货期内且商品完好的，我马上为您办理；如果有不符合的地方，我也会帮您找一个最合适的办法。"
                  "您看是换货还是退款？"),
    DefaultScript(S.REPEATED_EXCHANGE, "多次换货仍不满意：专人跟进", (C.RETURN_REQUEST, C.QUALITY, C.SIZE_FIT),
                  "{customer}您好，抱歉前几次换货都没能让您满意，给您添了不少麻烦。这次由我亲自跟进，"
                  "发出前会请仓库逐件检查并拍照给您确认。如果您不想再换了，我们也可以直接为您办理退款，"
                  "您看是换货还是退款？"),
    DefaultScript(S.LOGISTICS_DAMAGE, "运输破损：我们来处理", (C.LOGISTICS,),
                  "{customer}您好，非常抱歉商品在运输途中受损了，收到这样的包裹一定很不开心。"
                  "麻烦您拍一下外包装和商品的照片，我这边马上登记，后续由我们和{carrier}核实处理，不用您再操心。"
                  "您看是换货还是退款？"),
    DefaultScript(S.LOGISTICS_DELAY, "物流慢：查件并跟进", (C.LOGISTICS,),
                  "{customer}您好，抱歉让您久等了。您的包裹由{carrier}配送，运单号{tracking_no}，"
                  "我已经请快递为您加急处理，有新进展会第一时间告诉您。"),
    DefaultScript(S.SIZE_FIT, "尺码不合适：推荐尺码", (C.SIZE_FIT, C.RETURN_REQUEST),
                  "{customer}您好，抱歉尺码不合适给您添麻烦了。您可以告诉我身高、体重和平时穿的尺码，"
                  "我帮您推荐合适的码数，换码的运费按店铺政策处理。您是想换货还是退款？"),
    DefaultScript(S.USAGE, "使用指导", (C.USAGE,),
                  "{customer}您好，抱歉说明写得不够清楚，给您添麻烦了。我一步步教您使用{product}，"
                  "也可以发您视频教程；如果按步骤操作后还是不行，我们会马上为您安排售后处理。"),
    DefaultScript(S.MISUNDERSTANDING, "误会：先认同再说明", (C.USAGE, C.QUALITY, C.SERVICE_COMPLAINT),
                  "{customer}您好，抱歉让您担心了，我理解您的感受。我帮您核对了一下情况，给您说明一下："
                  "……如果您还有任何疑问，随时告诉我，我们会负责到底。"),
    DefaultScript(S.COUNTERFEIT, "假货疑虑：核实并退款", (C.QUALITY,),
                  "{customer}您好，非常抱歉让您对{product}的真伪产生了疑虑，这件事我们一定认真对待。"
                  "麻烦您拍一下商品、标签和防伪码发给我，我马上为您核实进货凭证；订单{order_no}我已经登记，"
                  "您不想要了可以直接为您办理退货退款，寄回的运费由我们承担。"),
    DefaultScript(S.AFTER_SALES, "售后没办好：我来接手", (C.RETURN_REQUEST, C.SERVICE_COMPLAINT),
                  "{customer}您好，非常抱歉您的售后申请让您等了这么久、来回折腾，这是我们的问题。"
                  "订单{order_no}的申请现在由我{agent}接手，会按店铺售后政策优先为您办理，"
                  "进度第一时间告诉您。您看是换货还是退款？"),
    DefaultScript(S.PROMISE_NOT_KEPT, "承诺未兑现：核对后补上", (C.WRONG_MISSING,),
                  "{customer}您好，非常抱歉答应您的没有做到，让您失望了。我马上核对订单{order_no}当时的直播间承诺和"
                  "赠品记录，确认后为您补发或按承诺补上，结果第一时间告诉您。"),
    DefaultScript(S.SERVICE_ATTITUDE, "服务态度：道歉并接手", (C.SERVICE_COMPLAINT,),
                  "{customer}您好，非常抱歉之前的沟通让您不愉快，这是我们的问题，我代表{shop}向您道歉。"
                  "接下来由我{agent}负责跟进，您遇到的问题我会优先处理，进度第一时间告诉您。"),
    DefaultScript(S.CLOSING, "结束语", (),
                  "感谢{customer}的耐心，{shop}随时为您服务。后面还有任何问题，直接在这里留言就可以，祝您生活愉快！"),
]


@transaction.atomic
def scripts_install_defaults(*, shop) -> int:
    """Install the default library for a shop. Idempotent: a (scenario, title) that exists is kept as the
    shop edited it. Returns how many scripts were created."""
    existing = set(Script.objects.filter(shop=shop).values_list("scenario", "title"))
    rows = []
    for position, d in enumerate(DEFAULT_SCRIPTS):
        if (d.scenario, d.title) in existing:
            continue
        script_variables(d.body)
        rows.append(Script(shop=shop, scenario=d.scenario, title=d.title, body=d.body,
                           categories=list(d.categories), position=position))
    Script.objects.bulk_create(rows)
    return len(rows)
