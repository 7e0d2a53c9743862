"""Demo data for the inbox: agents with skills, channels and capacity (one dedicated VIP agent), a rota around
today with a night shift, the default scripts, and about 150 conversations with tickets about the demo
orders on every channel, in every state of the workbench: waiting with live SLA clocks (some near breach,
a few breached), answered, pending the customer, resolved or closed, and a couple escalated to departments;
plus a few web chats the bot answered by itself and a few it handed over.

Deterministic from `rng` and the clock (shouhou.core.clock). Set-based: the rows are built in memory with
the same pure pieces the services use (triage, SLA targets and clocks, script rendering, the bot's answers)
and written with bulk_create; the SLA sweep then flags what is overdue now, exactly as the periodic job does.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from django.db.models import F
from django.utils import translation

from shouhou.accounts.choices import Role
from shouhou.accounts.models import Membership
from shouhou.commerce.choices import VIP_TIERS, Category
from shouhou.commerce.models import Customer, Order, OrderLine, Shipment
from shouhou.core import clock
from shouhou.inbox import bot
from shouhou.inbox.choices import Channel, Direction, EscalationStatus, Team, TicketEventKind, TicketStatus
from shouhou.inbox.models import (
    AgentProfile,
    Conversation,
    Escalation,
    EscalationUpdate,
    Message,
    Script,
    Shift,
    Ticket,
    TicketEvent,
)
from shouhou.inbox.scripts import (
    CATEGORY_SCENARIOS,
    GENERIC_SCENARIOS,
    script_render,
    scripts_install_defaults,
)
from shouhou.inbox.services import CHAT_CHANNELS
from shouhou.inbox.triage import triage
from shouhou.sla import clocks
from shouhou.sla.calendar import due_at
from shouhou.sla.policies import shop_sla_config, targets_for
from shouhou.sla.services import department_due_at, sla_sweep

K = TicketEventKind
S = TicketStatus
MIN, HOUR, DAY = 60, 3600, 86400

# (skills, channels ([] = all), capacity, shifts as (label, start hour, end hour; > 24 ends the next day)).
# Capacity counts every open ticket the agent holds, those waiting for the customer included (as routing does).
AGENT_SETUP: list[tuple[list[str], list[str], int, list[tuple[str, int, int]]]] = [
    ([Category.CLOTHING, Category.UNDERWEAR, Category.SHOES_BAGS], [], 24, [("早班", 9, 17)]),
    ([Category.COSMETICS, Category.HOME, Category.FOOD],
     [Channel.WEB_CHAT, Channel.WECHAT, Channel.SOCIAL_DM, Channel.SOCIAL_COMMENT, Channel.REVIEW], 20,
     [("晚班", 15, 24)]),
    ([Category.ELECTRONICS, Category.MOBILE_PHONE], [], 16, [("夜班", 20, 26)]),
    ([], [], 12, [("VIP 专席", 10, 22)]),  # the dedicated VIP agent: every category, every channel
]
OPEN_AT_THE_END = {"waiting", "handoff", "answered", "pending", "escalated"}

# How many tickets end in each state (about 150 in all).
PLAN = {"waiting": 34, "handoff": 6, "answered": 25, "pending": 20, "resolved": 45, "closed": 14, "escalated": 6}
BOT_ONLY = 10
BREACHED_SHARE = 0.15  # of the unanswered tickets
RUNNING_FRACTIONS = [0.15, 0.3, 0.45, 0.6, 0.3, 0.5, 0.85, 0.92]  # of the first-response target already used
CHANNELS = [(Channel.WEB_CHAT, 28), (Channel.WECHAT, 18), (Channel.SOCIAL_DM, 14), (Channel.SOCIAL_COMMENT, 9),
            (Channel.PHONE, 11), (Channel.EMAIL, 8), (Channel.REVIEW, 7), (Channel.WECOM, 5)]

# Problem -> (which orders it fits, what customers write). {product} and {order_no} come from the order.
PROBLEMS: dict[str, tuple[str, list[str]]] = {
    "quality": ("delivered", ["{product}收到就开线了，质量也太差了吧", "{product}用了两天就坏了，按键没反应",
                              "{product}有明显色差，和直播间看到的完全不一样，做工粗糙"]),
    "defect": ("delivered", ["{product}上有个小划痕，质量有点问题，能处理一下吗", "{product}线头很多，做工不太好"]),
    "transit": ("shipping", ["订单{order_no}三天没有物流更新了，快递到哪了", "显示派送失败，我一直在家啊，快递员电话也打不通",
                             "物流信息一直不动，{product}还能不能到"]),
    "late": ("unshipped", ["拍了好几天了还没发货，{product}什么时候发？", "说好48小时发货，现在还没发，能不能快点"]),
    "damage": ("delivered", ["收到的时候外箱压坏了，{product}破损了", "快递送来包装破了，{product}漏液了"]),
    "wrong": ("delivered", ["我买的是黑色M码，发来的是白色L码，发错货了", "少发了一件，还有赠品也没收到"]),
    "size": ("delivered", ["{product}尺码偏小，穿不上，想换大一码", "{product}太大了，想换小一码可以吗"]),
    "price": ("delivered", ["昨天买的{product}今天直播间降价了50块，能退差价吗", "刚买完就降价，买贵了，能价保吗"]),
    "return": ("delivered", ["{product}不太喜欢，想七天无理由退货", "{product}不想要了，申请退货退款"]),
    "usage": ("delivered", ["{product}怎么使用？说明书看不懂", "{product}怎么连接手机？教一下"]),
    "complaint": ("delivered", ["客服半天不回复，什么服务态度", "上次说好给我回电话，一直没人联系我，服务太差了"]),
    "safety": ("electronics", ["{product}充电的时候发烫冒烟了，吓死了", "{product}插上电漏电，手被电了一下"]),
}
PROBLEM_WEIGHTS = {"quality": 16, "defect": 8, "transit": 16, "late": 7, "damage": 7, "wrong": 8, "size": 10,
                   "price": 7, "return": 12, "usage": 6, "complaint": 4, "safety": 2}
FOLLOW_UPS = ["好的，照片发你了", "那大概什么时候能处理好？", "我选退款吧", "换货吧，麻烦尽快", "收到，谢谢"]
HANDOFF_TEXTS = [("转人工", bot.HUMAN), ("我要人工客服", bot.HUMAN), ("你们这是骗人吧，我要投诉", bot.ANGER),
                 ("什么垃圾东西，再不处理给差评", bot.ANGER)]
ESCALATIONS = [(Team.WAREHOUSE, "请仓库核对发货记录并拍照确认实物"), (Team.QUALITY, "请质检判断是否批次问题"),
               (Team.LOGISTICS, "请物流联系快递核实丢件/破损并发起理赔")]
SHIPPING_STATUSES = {"in_transit", "out_for_delivery", "delivery_failed", "exception", "picked_up", "info_received"}


@dataclass
class Story:
    """One conversation being written: its rows and, in time order, what happened."""

    conversation: Conversation
    ticket: Ticket | None = None
    messages: list[tuple[dt.datetime, Message]] = field(default_factory=list)
    events: list[tuple[dt.datetime, TicketEvent]] = field(default_factory=list)
    escalation: Escalation | None = None
    escalation_update: tuple[dt.datetime, EscalationUpdate] | None = None
    order: Order | None = None
    case_id: int | None = None
    handoff_label: str = ""
    handoff: dict | None = None


class Demo:
    def __init__(self, *, shop, rng: random.Random):
        self.shop, self.rng = shop, rng
        self.now = clock.now()
        self.config = shop_sla_config(shop)
        self.stories: list[Story] = []
        self.scripts: dict[str, list[Script]] = {}
        self.script_uses: dict[int, int] = {}
        self.open_load: dict[int, int] = {}  # user pk -> open tickets assigned so far (capacity, as routing)

    # --- people ---------------------------------------------------------------------------------------

    def staff(self) -> None:
        members = list(Membership.objects.filter(shop=self.shop).select_related("user").order_by("user__username"))
        agents = [m.user for m in members if m.role == Role.AGENT]
        self.supervisor = next((m.user for m in members if m.role == Role.SUPERVISOR), None)
        existing = set(AgentProfile.objects.filter(shop=self.shop).values_list("user_id", flat=True))
        profiles = [AgentProfile(shop=self.shop, user=u, skills=[str(s) for s in skills],
                                 channels=[str(c) for c in channels], capacity=capacity)
                    for u, (skills, channels, capacity, _) in zip(agents, AGENT_SETUP, strict=False)
                    if u.pk not in existing]
        if self.supervisor is not None and self.supervisor.pk not in existing:
            # on the rota so breaches go to the supervisor on duty; takes no tickets of their own
            profiles.append(AgentProfile(shop=self.shop, user=self.supervisor, capacity=3, accepting=False))
        AgentProfile.objects.bulk_create(profiles)
        by_user = {p.user_id: p for p in AgentProfile.objects.filter(shop=self.shop)}
        self.agents = [(u, by_user[u.pk]) for u in agents[:len(AGENT_SETUP)] if u.pk in by_user]
        self.vip_agent = self.agents[-1][0] if len(self.agents) == len(AGENT_SETUP) else None
        today = clock.localnow().replace(hour=0, minute=0, second=0, microsecond=0)
        shifts = []
        for day in (-1, 0, 1):
            base = today + dt.timedelta(days=day)
            rota = [(p, setup[3]) for (_, p), setup in zip(self.agents, AGENT_SETUP, strict=False)]
            if self.supervisor is not None:
                rota.append((by_user[self.supervisor.pk], [("主管值班", 9, 21)]))
            for profile, hours in rota:
                for label, start, end in hours:
                    shifts.append(Shift(shop=self.shop, agent=profile, label=label,
                                        starts_at=base + dt.timedelta(hours=start),
                                        ends_at=base + dt.timedelta(hours=end)))
        Shift.objects.bulk_create(shifts)
        if self.vip_agent is not None:
            Customer.objects.filter(shop=self.shop, tier__in=VIP_TIERS).update(dedicated_agent=self.vip_agent)

    def on_duty(self, user, at: dt.datetime) -> bool:
        index = next((i for i, (u, _p) in enumerate(self.agents) if u.pk == user.pk), None)
        if index is None or index >= len(AGENT_SETUP):
            return False
        hour = at.astimezone(clock.local_tz()).hour
        return any(start <= hour < end or start <= hour + 24 < end for _label, start, end in AGENT_SETUP[index][3])

    def with_room(self, agent, category: str, *, at: dt.datetime, unanswered: bool):
        """Like routing: an agent at capacity takes nothing more, and a ticket nobody answered yet goes
        only to someone on duty when it came in. Another able agent takes it, or it stays in the queue."""
        capacity = {u.pk: p.capacity for u, p in self.agents}

        def fits(user) -> bool:
            return (self.open_load.get(user.pk, 0) < capacity.get(user.pk, 0)
                    and (not unanswered or self.on_duty(user, at)))

        if fits(agent):
            return agent
        free = ([u for u, p in self.agents if fits(u) and (not p.skills or category in p.skills)]
                or [u for u, _p in self.agents if fits(u)])  # anyone with room rather than over the limit
        if free:
            return min(free, key=lambda u: (self.open_load.get(u.pk, 0) / capacity[u.pk], u.pk))
        return None if unanswered else agent

    def assignee_for(self, customer, category: str):
        if not self.agents:
            return None
        if customer is not None and customer.tier in VIP_TIERS and self.vip_agent is not None:
            return self.vip_agent
        able = [u for u, p in self.agents[:-1] or self.agents if not p.skills or category in p.skills]
        return self.rng.choice(able or [u for u, _ in self.agents])

    # --- orders ---------------------------------------------------------------------------------------

    def orders(self) -> None:
        orders = list(Order.objects.filter(shop=self.shop, placed_at__lt=self.now - dt.timedelta(hours=6))
                      .select_related("customer").order_by("pk")[:3000])
        first_line: dict[int, tuple[str, str]] = {}
        for order_id, name, category in (OrderLine.objects.filter(order__in=[o.pk for o in orders])
                                         .order_by("pk").values_list("order_id", "product_name", "category")):
            first_line.setdefault(order_id, (name, category))
        status = dict(Shipment.objects.filter(shop=self.shop, is_return=False, order__in=[o.pk for o in orders])
                      .values_list("order_id", "status"))
        from shouhou.cases.models import Case

        self.case_of = dict(Case.objects.filter(shop=self.shop).order_by("pk").values_list("order_id", "pk"))
        self.line = first_line
        self.pools: dict[str, list[Order]] = {"delivered": [], "shipping": [], "unshipped": [], "electronics": []}
        for o in orders:
            if o.customer_id is None or o.pk not in first_line:
                continue
            st = status.get(o.pk, "")
            if st == "signed" or o.delivered_at is not None:
                self.pools["delivered"].append(o)
                if first_line[o.pk][1] in (Category.ELECTRONICS, Category.MOBILE_PHONE):
                    self.pools["electronics"].append(o)
            elif st in SHIPPING_STATUSES:
                self.pools["shipping"].append(o)
            elif st == "pending":
                self.pools["unshipped"].append(o)
        self.used: set[int] = set()

    def pick_order(self, kind: str, before: dt.datetime) -> Order | None:
        pool = self.pools.get(kind) or self.pools["delivered"]
        fits = [o for o in pool if o.pk not in self.used and (o.delivered_at or o.paid_at or o.placed_at) < before]
        if not fits:
            return None
        # orders with a case first for the problems a case is about
        order = self.rng.choice(fits)
        self.used.add(order.pk)
        return order

    # --- building blocks ------------------------------------------------------------------------------

    def message(self, story: Story, at: dt.datetime, direction: str, body: str, *, author=None,
                is_bot: bool = False, script: Script | None = None) -> None:
        story.messages.append((at, Message(shop=self.shop, direction=direction, body=body, author=author,
                                           is_bot=is_bot, script=script)))

    def event(self, story: Story, at: dt.datetime, kind: str, *, actor=None, from_value="", to_value="",
              note: str = "", visible: bool = False, data: dict | None = None) -> None:
        story.events.append((at, TicketEvent(shop=self.shop, kind=kind, actor=actor, from_value=str(from_value)[:100],
                                             to_value=str(to_value)[:100], note=note[:500],
                                             visible_to_customer=visible, data=data or {})))

    def script_for(self, category: str) -> Script | None:
        for scenario in [*CATEGORY_SCENARIOS.get(category, []), *GENERIC_SCENARIOS]:
            choices = [s for s in self.scripts.get(scenario, []) if category in s.categories or not s.categories]
            if choices:
                return choices[0]
        return None

    def reply(self, story: Story, at: dt.datetime, agent, targets) -> None:
        t = story.ticket
        assert t is not None
        if t.assignee_id is None and agent is not None:
            t.assignee = agent
            self.event(story, at, K.ASSIGNED, actor=agent, to_value=agent.get_username(), note="回复时接手")
        script = self.script_for(t.category)
        if script is not None and t.first_responded_at is None:
            body = script_render(script=script, ticket=t, extra={"agent": getattr(agent, "first_name", "")})
            self.script_uses[script.pk] = self.script_uses.get(script.pk, 0) + 1
        else:
            script, body = None, self.rng.choice(["好的，已经为您登记，处理进度会第一时间告诉您。",
                                                  "收到，我这边马上跟进，请您放心。",
                                                  "明白了，已经为您加急处理。"])
        self.message(story, at, Direction.OUTBOUND, body, author=agent, script=script)
        clocks.clocks_agent_reply(t, at=at, targets=targets)
        if t.status in (S.NEW, S.PENDING_CUSTOMER):
            if t.status == S.PENDING_CUSTOMER:
                clocks.clocks_resume(t, at=at, targets=targets)
            self.event(story, at, K.STATUS, actor=agent, from_value=t.status, to_value=S.OPEN, note="客服回复")
            t.status = S.OPEN
        self.event(story, at, K.REPLIED, actor=agent, note=body[:120], visible=True)

    def status(self, story: Story, at: dt.datetime, to: str, targets, *, actor=None, note: str = "") -> None:
        t = story.ticket
        assert t is not None
        if to == S.PENDING_CUSTOMER:
            clocks.clocks_pause(t, at=at)
        elif to in (S.RESOLVED, S.CLOSED) and t.resolved_at is None:
            clocks.clocks_resolve(t, at=at, targets=targets)
        self.event(story, at, K.STATUS, actor=actor, from_value=t.status, to_value=to, note=note,
                   visible=to in (S.RESOLVED, S.CLOSED))
        t.status = to

    # --- one ticket -----------------------------------------------------------------------------------

    def created_for(self, state: str) -> dt.datetime:
        r = self.rng
        span = {"answered": (1 * HOUR, 30 * HOUR), "pending": (2 * HOUR, 3 * DAY),
                "resolved": (1 * DAY, 14 * DAY), "closed": (4 * DAY, 20 * DAY),
                "escalated": (3 * HOUR, 2 * DAY)}.get(state, (1 * HOUR, 2 * HOUR))
        return self.now - dt.timedelta(seconds=r.uniform(*span))

    def waiting_since(self, targets, *, breached: bool) -> dt.datetime:
        """When an unanswered ticket came in: most clocks still run (some close to their due time); a few are
        past it. Outside business hours every running clock waits for the desk to open, so a breach is
        found by going back until the due time lies behind us."""
        first = targets.first_response
        if not breached:
            return self.now - dt.timedelta(seconds=max(30.0, first.seconds * self.rng.choice(RUNNING_FRACTIONS)))
        for extra in (0, HOUR, 3 * HOUR, 8 * HOUR, 16 * HOUR, DAY):
            created = self.now - dt.timedelta(seconds=first.seconds * self.rng.uniform(1.3, 3.0) + extra)
            if due_at(created, first.seconds, first.calendar) < self.now - dt.timedelta(minutes=1):
                return created
        return created

    def ticket_story(self, n: int, state: str) -> Story | None:
        r = self.rng
        created = self.created_for(state)
        problem = r.choices(list(PROBLEM_WEIGHTS), weights=list(PROBLEM_WEIGHTS.values()))[0]
        pool, texts = PROBLEMS[problem]
        order = self.pick_order(pool, created - dt.timedelta(hours=2))
        if order is None:
            return None
        product, category = self.line[order.pk]
        customer = order.customer
        channel = Channel.WEB_CHAT if state == "handoff" else r.choices([c for c, _ in CHANNELS],
                                                                       weights=[w for _, w in CHANNELS])[0]
        body = r.choice(texts).format(product=product, order_no=order.order_no)
        conv = Conversation(shop=self.shop, customer=customer, channel=channel, subject=body[:60],
                            contact_handle=self.handle(channel, customer, order))
        story = Story(conversation=conv, order=order, case_id=self.case_of.get(order.pk)
                      if problem in ("quality", "defect", "return", "size", "wrong", "damage") else None)
        tri = triage(text=body, customer=customer, channel=channel)
        t = Ticket(shop=self.shop, number="", conversation=conv, customer=customer, order=order,
                   case_id=story.case_id, channel=channel, category=tri.category, priority=tri.priority,
                   team=Team.SERVICE, subject=body[:200], status=S.NEW)
        story.ticket = t
        targets = targets_for(t, config=self.config)
        if state in ("waiting", "handoff"):
            # where the first-response clock stands now: most running, some near breach, a few breached
            created = self.waiting_since(targets, breached=r.random() < BREACHED_SHARE)
        t.created_at = created
        t.number = f"T{created.astimezone(clock.local_tz()):%y%m%d}D{n:05d}"
        clocks.clocks_start(t, at=created, targets=targets)
        if state == "handoff":
            self.bot_prelude(story, created, order)
        self.message(story, created, Direction.INBOUND, body)
        note = "；".join(tri.reasons)
        data = {"lead": "", "reasons": tri.records}
        if state == "handoff":
            note = f"机器人转人工：{story.handoff_label}；{note}"
            data["handoff"] = story.handoff
        self.event(story, created, K.CREATED, to_value=tri.category, note=note, data=data)
        if state == "handoff":
            self.event(story, created, K.BOT_HANDOFF, note=story.handoff_label, data={"handoff": story.handoff})
        agent = self.assignee_for(customer, category)
        if state == "waiting" and r.random() < 0.4 and (customer.tier not in VIP_TIERS):
            agent = None  # still in the queue: nobody took it yet
        if agent is not None and state in OPEN_AT_THE_END:
            agent = self.with_room(agent, category, at=created, unanswered=state in ("waiting", "handoff"))
            if agent is not None:
                self.open_load[agent.pk] = self.open_load.get(agent.pk, 0) + 1
        if agent is not None:
            t.assignee = agent
            self.event(story, created + dt.timedelta(seconds=2), K.ASSIGNED, to_value=agent.get_username(),
                       note="自动分配")
        if state in ("waiting", "handoff"):
            return story
        # the first answer: usually within the target, now and then late
        first = targets.first_response.seconds or 30 * MIN
        late = r.random() < 0.12
        reply_at = created + dt.timedelta(seconds=first * (r.uniform(1.2, 2.5) if late else r.uniform(0.15, 0.9)))
        reply_at = min(reply_at, created + (self.now - created) / 3)
        self.reply(story, reply_at, agent, targets)
        if state == "answered":
            if r.random() < 0.5:  # the customer wrote again: the next-response clock runs
                nxt = targets.next_response.seconds or 30 * MIN
                at = self.now - dt.timedelta(seconds=nxt * r.choice([0.2, 0.5, 0.8, 0.95, 2.0]))
                at = max(at, reply_at + dt.timedelta(minutes=1))
                self.customer_again(story, at, targets)
            return story
        if state == "pending":
            self.status(story, reply_at + dt.timedelta(seconds=20), S.PENDING_CUSTOMER, targets, actor=agent,
                        note="等顾客发照片/选择方案")
            return story
        if state == "escalated":
            self.escalate(story, reply_at + dt.timedelta(minutes=r.randint(5, 40)), agent, targets)
            return story
        # resolved / closed: a short exchange, then done
        at = reply_at
        if r.random() < 0.6:
            at = reply_at + (self.now - reply_at) * r.uniform(0.05, 0.3)
            self.customer_again(story, at, targets)
            at = at + dt.timedelta(seconds=min((targets.next_response.seconds or 30 * MIN) * r.uniform(0.2, 1.1),
                                               (self.now - at).total_seconds() / 3))
            self.reply(story, at, agent, targets)
        done = at + (self.now - at) * r.uniform(0.05, 0.4)
        self.status(story, done, S.RESOLVED, targets, actor=agent, note="问题已解决")
        if state == "closed":
            self.status(story, done + (self.now - done) * r.uniform(0.5, 0.9), S.CLOSED, targets, actor=agent,
                        note="顾客确认，关闭工单")
        return story

    def handle(self, channel: str, customer, order) -> str:
        if channel == Channel.WEB_CHAT:
            return f"order:{order.order_no}"
        if channel in (Channel.WECHAT, Channel.WECOM):
            return customer.wechat_id or f"wxid_{self.rng.randrange(16**10):010x}"
        if channel == Channel.PHONE:
            return customer.phone
        if channel == Channel.EMAIL:
            return customer.email or f"buyer{customer.pk}@example.com"
        if channel in (Channel.SOCIAL_DM, Channel.SOCIAL_COMMENT):
            return f"MS4wLjAB{self.rng.randrange(16**12):012x}"
        return f"review:{order.order_no}"

    def bot_prelude(self, story: Story, handed_over: dt.datetime, order: Order) -> None:
        """A web chat the bot took first: one answered question, then anger or a request for a person."""
        asked = handed_over - dt.timedelta(minutes=self.rng.randint(2, 8))
        self.message(story, asked, Direction.INBOUND, "我的快递到哪了")
        self.message(story, asked + dt.timedelta(seconds=1), Direction.OUTBOUND, bot.answer_parcel(order=order),
                     is_bot=True)
        text, reason = self.rng.choice(HANDOFF_TEXTS)
        self.message(story, handed_over - dt.timedelta(seconds=1), Direction.INBOUND, text)
        with translation.override("zh-hans"):
            self.message(story, handed_over, Direction.OUTBOUND, str(bot.HANDOFF_REPLY[reason]), is_bot=True)
        story.handoff = {"h": reason, "n": text}
        with translation.override("zh-hans"):
            story.handoff_label = bot.handoff_text(story.handoff)
        story.conversation.handed_over_at = handed_over

    def customer_again(self, story: Story, at: dt.datetime, targets) -> None:
        t = story.ticket
        assert t is not None
        body = self.rng.choice(FOLLOW_UPS)
        self.message(story, at, Direction.INBOUND, body)
        clocks.clocks_customer_message(t, at=at, targets=targets)
        self.event(story, at, K.MESSAGE_IN, note=body)

    def escalate(self, story: Story, at: dt.datetime, agent, targets) -> None:
        t = story.ticket
        assert t is not None
        department, request = self.rng.choice(ESCALATIONS)
        due = department_due_at(shop=self.shop, department=department, at=at)
        story.escalation = Escalation(shop=self.shop, department=department, owner=None, requested_by=agent,
                                      request=request, due_at=due, status=EscalationStatus.OPEN)
        self.event(story, at, K.STATUS, actor=agent, from_value=t.status, to_value=S.ESCALATED,
                   note=f"升级至{Team(department).label}")
        t.status = S.ESCALATED
        local = due.astimezone(clock.local_tz())
        self.event(story, at, K.ESCALATED, actor=agent, to_value=department,
                   note=f"已转交{Team(department).label}处理，预计 {local:%m月%d日 %H:%M} 前给出结果", visible=True)
        if self.rng.random() < 0.5:
            story.escalation.status = EscalationStatus.IN_PROGRESS
            when = at + (self.now - at) / 2
            story.escalation_update = (when, EscalationUpdate(shop=self.shop, note="已收到，正在核对，今天内给结果",
                                                              visible_to_customer=True))
            self.event(story, when, K.ESCALATION_UPDATE, from_value=department, to_value="in_progress",
                       note="已收到，正在核对，今天内给结果", visible=True)

    def bot_story(self) -> Story | None:
        """A web chat the bot answered by itself: no ticket."""
        order = self.pick_order("shipping", self.now)
        if order is None:
            return None
        at = self.now - dt.timedelta(seconds=self.rng.uniform(10 * MIN, 2 * DAY))
        conv = Conversation(shop=self.shop, customer=order.customer, channel=Channel.WEB_CHAT,
                            subject=f"在线咨询：订单 {order.order_no}", contact_handle=f"order:{order.order_no}",
                            bot_active=True)
        story = Story(conversation=conv, order=order)
        self.message(story, at, Direction.INBOUND, self.rng.choice(["快递到哪了", "我的包裹什么时候到", "查一下物流"]))
        self.message(story, at + dt.timedelta(seconds=1), Direction.OUTBOUND, bot.answer_parcel(order=order),
                     is_bot=True)
        return story

    # --- writing --------------------------------------------------------------------------------------

    def build(self) -> None:
        self.staff()
        scripts_install_defaults(shop=self.shop)
        for s in Script.objects.filter(shop=self.shop, is_active=True).order_by("scenario", "position", "pk"):
            self.scripts.setdefault(s.scenario, []).append(s)
        self.orders()
        states = [state for state, count in PLAN.items() for _ in range(count)]
        self.rng.shuffle(states)
        for n, state in enumerate(states, start=1):
            story = self.ticket_story(n, state)
            if story is not None:
                self.stories.append(story)
        for _ in range(BOT_ONLY):
            story = self.bot_story()
            if story is not None:
                self.stories.append(story)
        self.write()
        sla_sweep(at=self.now)

    def write(self) -> None:
        stories = self.stories
        for s in stories:
            times = [at for at, _ in s.messages]
            s.conversation.last_message_at = max(times)
            for _, m in s.messages:
                m.conversation = s.conversation
            if s.ticket is not None:
                self.history_breach(s)
                self.reply_clocks(s)
        Conversation.objects.bulk_create([s.conversation for s in stories])
        through = Conversation.orders.through
        through.objects.bulk_create([through(conversation_id=s.conversation.pk, order_id=s.order.pk)
                                     for s in stories if s.order is not None])
        case_through = Conversation.cases.through
        case_through.objects.bulk_create([case_through(conversation_id=s.conversation.pk, case_id=s.case_id)
                                          for s in stories if s.case_id])
        messages = [m for s in stories for _, m in s.messages]
        for s in stories:
            for _, m in s.messages:
                m.conversation_id = s.conversation.pk
        Message.objects.bulk_create(messages, batch_size=500)
        with_ticket = [s for s in stories if s.ticket is not None]
        for s in with_ticket:
            s.ticket.conversation_id = s.conversation.pk  # type: ignore[union-attr]
        created = {id(s.ticket): s.ticket.created_at for s in with_ticket}  # type: ignore[union-attr]
        Ticket.objects.bulk_create([s.ticket for s in with_ticket], batch_size=500)  # type: ignore[misc]
        events, escalations, updates = [], [], []
        for s in with_ticket:
            for _, e in s.events:
                e.ticket_id = s.ticket.pk  # type: ignore[union-attr]
                events.append(e)
            if s.escalation is not None:
                s.escalation.ticket_id = s.ticket.pk  # type: ignore[union-attr]
                escalations.append(s.escalation)
        TicketEvent.objects.bulk_create(events, batch_size=500)
        Escalation.objects.bulk_create(escalations)
        for s in with_ticket:
            if s.escalation_update is not None:
                s.escalation_update[1].escalation_id = s.escalation.pk  # type: ignore[union-attr]
                updates.append(s.escalation_update[1])
        EscalationUpdate.objects.bulk_create(updates)
        # created_at is auto_now_add: put the story's own instants back, one statement per batch
        for s in stories:
            s.conversation.created_at = min(at for at, _ in s.messages)
            for at, m in s.messages:
                m.created_at = at
            for at, e in s.events:
                e.created_at = at
            if s.ticket is not None:
                s.ticket.created_at = created[id(s.ticket)]
            if s.escalation is not None:
                s.escalation.created_at = next(at for at, e in s.events if e.kind == K.ESCALATED)
            if s.escalation_update is not None:
                s.escalation_update[1].created_at = s.escalation_update[0]
        Conversation.objects.bulk_update([s.conversation for s in stories], ["created_at"], batch_size=500)
        Message.objects.bulk_update(messages, ["created_at"], batch_size=500)
        Ticket.objects.bulk_update([s.ticket for s in with_ticket], ["created_at"], batch_size=500)  # type: ignore[misc]
        TicketEvent.objects.bulk_update(events, ["created_at"], batch_size=500)
        Escalation.objects.bulk_update(escalations, ["created_at"])
        EscalationUpdate.objects.bulk_update(updates, ["created_at"])
        for pk, uses in self.script_uses.items():
            Script.objects.filter(pk=pk).update(usage_count=F("usage_count") + uses)

    def reply_clocks(self, story: Story) -> None:
        """The per-message reply clocks message_receive and the replies keep (docs/metrics.md, 回复率): a buyer chat
        message that reached the desk awaits a person, answered by the first person's reply at or after it, which
        counts for its author (else the ticket's assignee). The bot's prelude before the hand-off awaits no one.
        Without them every reply rate of the demo read 「—」."""
        t = story.ticket
        if t is None or story.conversation.channel not in CHAT_CHANNELS:
            return
        since = story.conversation.handed_over_at
        timeline = sorted(story.messages, key=lambda pair: pair[0])
        for at, m in timeline:
            if m.direction != Direction.INBOUND or (since is not None and at < since):
                continue
            reply = next(((when, r) for when, r in timeline if when >= at and r.direction == Direction.OUTBOUND
                          and not r.is_bot and r.author_id is not None), None)
            m.awaits_human = True
            m.human_reply_at = reply[0] if reply else None
            m.agent_id = reply[1].author_id if reply else t.assignee_id

    def history_breach(self, story: Story) -> None:
        """A first answer or resolution that came after its due time was a breach then (the sweep flags
        only the clocks still running)."""
        t = story.ticket
        assert t is not None
        missed = []
        if t.first_responded_at and t.first_response_due_at and t.first_responded_at > t.first_response_due_at:
            missed.append((t.first_response_due_at, "首次响应"))
        if t.resolved_at and t.resolution_due_at and t.resolved_at > t.resolution_due_at:
            missed.append((t.resolution_due_at, "解决"))
        if not missed:
            return
        at, which = min(missed)
        t.sla_breached, t.sla_breached_at, t.escalated_to = True, at, self.supervisor
        who = self.supervisor.get_username() if self.supervisor is not None else ""
        self.event(story, at, K.SLA_BREACH, to_value=who,
                   note=f"已超时：{which}" + (f"，已升级给主管 {who}" if who else ""))


def seed(*, shop, rng: random.Random) -> None:
    if Ticket.objects.filter(shop=shop).exists():
        return
    Demo(shop=shop, rng=rng).build()
