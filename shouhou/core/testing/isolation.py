"""Generic cross-shop test machinery: seed a shop whose every text field carries a marker, and
turn each OpenAPI operation into a request that points at that shop's objects.

Nothing here names an endpoint: it reads models from the app registry and operations from the
live OpenAPI schema, so endpoints and models added later are covered without editing this file.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import IntegrityError, models, transaction

from shouhou.core.clock import now

BIG_ID = 987_654_321

# Path/query/body parameter name -> model label whose row of the other shop to use.
PARAM_MODELS: dict[str, str] = {
    "order_id": "commerce.order",
    "line_id": "commerce.orderline",
    "order_line_id": "commerce.orderline",
    "customer_id": "commerce.customer",
    "product_id": "commerce.product",
    "sku_id": "commerce.sku",
    "shipment_id": "commerce.shipment",
    "live_session_id": "commerce.livesession",
    "session_id": "commerce.livesession",
    "host_id": "commerce.host",
    "import_id": "commerce.importjob",
    "job_id": "commerce.importjob",
    "case_id": "cases.case",
    "recall_id": "cases.recall",
    "conversation_id": "inbox.conversation",
    "message_id": "inbox.message",
    "ticket_id": "inbox.ticket",
    "review_id": "reviews.review",
    "policy_id": "policies.policyversion",
    "version_id": "policies.policyversion",
    "message_out_id": "notifications.outboundmessage",
    "outbound_id": "notifications.outboundmessage",
    "token_id": "accounts.apitoken",
    "membership_id": "accounts.membership",
}


def shop_scoped_models() -> list[type[models.Model]]:
    """Every concrete model with a `shop` foreign key to commerce.Shop."""
    shop_model = apps.get_model("commerce", "Shop")
    found = []
    for model in apps.get_models():
        try:
            f = model._meta.get_field("shop")
        except Exception:  # noqa: S112
            continue
        if getattr(f, "related_model", None) is shop_model and not model._meta.abstract:
            found.append(model)
    return found


@dataclass
class MarkedShop:
    shop: object
    marker: str
    objects: dict[str, models.Model] = field(default_factory=dict)  # model label -> one row
    failed: dict[str, str] = field(default_factory=dict)  # model label -> why it could not be seeded

    def first(self, label: str) -> models.Model | None:
        return self.objects.get(label.lower())

    def id_for(self, label: str) -> int | None:
        obj = self.first(label)
        return obj.pk if obj is not None else None


def _value_for(f: models.Field, marker: str, seq: int):
    if f.choices:
        return f.choices[0][0]
    if isinstance(f, models.EmailField):
        return f"{marker.lower()}{seq}@example.com"
    if isinstance(f, models.SlugField):
        return f"{marker.lower()}-{seq}"[: f.max_length]
    if isinstance(f, models.CharField):
        text = f"{marker}{seq}"
        if "phone" in f.name:
            return f"139{seq:08d}"[: f.max_length]
        return text[: f.max_length] if f.max_length else text
    if isinstance(f, models.TextField):
        return f"{marker} 文本 {seq}"
    if isinstance(f, models.DecimalField):
        return Decimal("1.00")
    if isinstance(f, models.BooleanField):
        return False
    if isinstance(f, models.IntegerField | models.PositiveIntegerField | models.PositiveSmallIntegerField):
        return 1
    if isinstance(f, models.FloatField):
        return 1.0
    if isinstance(f, models.DateTimeField):
        return now()
    if isinstance(f, models.DateField):
        return now().date()
    if isinstance(f, models.TimeField):
        return dt.time(9, 0)
    if isinstance(f, models.DurationField):
        return dt.timedelta(minutes=30)
    if isinstance(f, models.JSONField):
        return f.get_default()
    if isinstance(f, models.UUIDField):
        import uuid

        return uuid.uuid4()
    return None


def seed_marked_shop(shop, marker: str, user=None) -> MarkedShop:
    """Create one row of every shop-scoped model for `shop`, every text field containing `marker`.
    Rows the generic builder cannot make (unusual constraints) are recorded in `failed`."""
    result = MarkedShop(shop=shop, marker=marker)
    pending = shop_scoped_models()
    for _round in range(4):  # foreign keys to rows seeded in a later round
        still = []
        for model in pending:
            ok, why = _try_create(model, result, user)
            if not ok:
                still.append(model)
                result.failed[model._meta.label_lower] = why
            else:
                result.failed.pop(model._meta.label_lower, None)
        pending = still
        if not pending:
            break
    return result


def _try_create(model, marked: MarkedShop, user) -> tuple[bool, str]:
    label = model._meta.label_lower
    if label in marked.objects:
        return True, ""
    kwargs = {}
    seq = len(marked.objects) + 1
    for f in model._meta.concrete_fields:
        if f.primary_key:
            continue
        if isinstance(f, models.ForeignKey):
            target = f.related_model
            tlabel = target._meta.label_lower
            if tlabel == "commerce.shop":
                kwargs[f.name] = marked.shop
            elif target is get_user_model():
                if user is not None:
                    kwargs[f.name] = user
                elif not f.null:
                    return False, f"needs a user for {f.name}"
            elif tlabel in marked.objects:
                kwargs[f.name] = marked.objects[tlabel]
            elif not f.null:
                return False, f"waits for {tlabel}"
            continue
        if isinstance(f, models.FileField):
            kwargs[f.name] = ""
            continue
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            continue
        value = _value_for(f, marked.marker, seq)
        if value is None:
            if f.null or f.has_default():
                continue
            return False, f"no value for {f.name} ({type(f).__name__})"
        kwargs[f.name] = value
    try:
        with transaction.atomic():
            obj = model.objects.create(**kwargs)
    except (IntegrityError, ValueError, TypeError, Exception) as exc:  # noqa: BLE001
        existing = model.objects.filter(shop=marked.shop).order_by("pk").first()
        if existing is None:
            return False, f"{type(exc).__name__}: {exc}"[:200]
        obj = existing  # e.g. the shop's own membership already exists
    marked.objects[label] = obj
    return True, ""


# --- operations --------------------------------------------------------------------------------

@dataclass
class Operation:
    method: str
    path: str  # template, e.g. /api/cases/{case_id}
    domain: str
    operation: dict

    @property
    def key(self) -> str:
        return f"{self.method.upper()} {self.path}"


def schema_operations(schema: dict) -> list[Operation]:
    ops = []
    for path, item in sorted(schema.get("paths", {}).items()):
        for method, op in item.items():
            if method.lower() not in {"get", "post", "put", "patch", "delete"}:
                continue
            parts = [p for p in path.split("/") if p]
            domain = parts[1] if len(parts) > 1 else ""
            ops.append(Operation(method.lower(), path, domain, op))
    return ops


def _model_for_param(name: str, domain: str) -> str | None:
    if name in PARAM_MODELS:
        return PARAM_MODELS[name]
    base = re.sub(r"_(id|pk|no|number)$", "", name).replace("_", "")
    for app_label in (domain, *[c.label for c in apps.get_app_configs()]):
        try:
            return apps.get_model(app_label, base)._meta.label_lower
        except (LookupError, ValueError):
            continue
    return None


def id_for_param(name: str, domain: str, other: MarkedShop, *, fallback: bool = True) -> tuple[object, bool]:
    """(value, points_at_other_shop) for a parameter name. An unknown name falls back to the other
    shop's first object of the router's domain (path parameters) or a large id; such a guess is not
    claimed as aimed at the other shop (its id may equal one of ours in the endpoint's real table)."""
    label = _model_for_param(name, domain)
    if label and other.first(label) is not None:
        obj = other.first(label)
        if name.endswith(("_no", "_number")):
            for attr in ("order_no", "number", "tracking_no"):
                if hasattr(obj, attr):
                    return getattr(obj, attr), True
        return obj.pk, True
    if fallback:
        for lbl, obj in other.objects.items():
            if lbl.startswith(f"{domain}."):
                return obj.pk, False
    return BIG_ID, False


def example_from_schema(schema: dict, components: dict, other: MarkedShop, domain: str, name: str = "",
                        depth: int = 0) -> tuple[object, bool]:
    """A minimal valid value for a JSON schema; any `*_id` field points at the other shop."""
    if "$ref" in schema:
        ref = schema["$ref"].split("/")[-1]
        return example_from_schema(components.get(ref, {}), components, other, domain, name, depth + 1)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"] or schema[key]
            return example_from_schema(options[0], components, other, domain, name, depth + 1)
    if "enum" in schema:
        return schema["enum"][0], False
    if "const" in schema:
        return schema["const"], False
    if "default" in schema and not name.endswith("_id"):
        return schema["default"], False
    kind = schema.get("type", "object")
    if kind == "object":
        out, injected = {}, False
        if depth > 6:
            return out, False
        props = schema.get("properties", {})
        for prop in schema.get("required", list(props)):
            value, hit = example_from_schema(props.get(prop, {}), components, other, domain, prop, depth + 1)
            out[prop] = value
            injected = injected or hit
        return out, injected
    if kind == "array":
        value, hit = example_from_schema(schema.get("items", {}), components, other, domain, name, depth + 1)
        return [value] * max(1, schema.get("minItems", 1)), hit
    if kind == "integer":
        if name.endswith("_id") or name == "id":
            return id_for_param(name, domain, other, fallback=False)
        return max(1, schema.get("minimum", 1)), False
    if kind == "number":
        return max(1, schema.get("minimum", 1)), False
    if kind == "boolean":
        return False, False
    if kind == "string":
        fmt = schema.get("format")
        if fmt == "date-time":
            return now().isoformat(), False
        if fmt == "date":
            return now().date().isoformat(), False
        if name.endswith(("_no", "_number")):
            return id_for_param(name, domain, other, fallback=False)
        text = "测试"
        if schema.get("minLength", 0) > len(text):
            text = text * schema["minLength"]
        return text, False
    return None, False


@dataclass
class BuiltRequest:
    method: str
    url: str
    body: object | None
    injected: bool  # an id of the other shop is in the path or body (an operation aimed at its object)
    filtered: bool = False  # an id of the other shop is only a query filter (a list may answer, empty)


def build_request(op: Operation, schema: dict, other: MarkedShop) -> BuiltRequest:
    components = schema.get("components", {}).get("schemas", {})
    url = op.path
    injected = filtered = False
    query = {}
    for param in op.operation.get("parameters", []):
        name, where = param["name"], param.get("in")
        if where == "path":
            value, hit = id_for_param(name, op.domain, other)
            injected = injected or hit
            url = url.replace("{" + name + "}", str(value))
        elif where == "query" and (param.get("required") or name.endswith("_id")):
            value, hit = example_from_schema(param.get("schema", {}), components, other, op.domain, name)
            filtered = filtered or hit
            query[name] = value
    if query:
        from urllib.parse import urlencode

        url = f"{url}?{urlencode(query, doseq=True)}"
    body = None
    content = op.operation.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        body, hit = example_from_schema(content["application/json"].get("schema", {}), components, other,
                                        op.domain)
        injected = injected or hit
    return BuiltRequest(op.method, url, body, injected, filtered=filtered and not injected)


# --- web pages (URL conf) -------------------------------------------------------------------------

SKIPPED_PREFIXES = ("api/", "admin/", "static/", "media/", "i18n/", "accounts/login/", "accounts/logout/")


@dataclass
class PagePattern:
    route: str  # e.g. "cases/<int:pk>/"
    namespace: str
    name: str
    params: list[tuple[str, str]]  # (converter, name)

    @property
    def key(self) -> str:
        return f"{self.namespace}:{self.name}"


def page_patterns(skipped: tuple[str, ...] = SKIPPED_PREFIXES) -> list[PagePattern]:
    """Every URL pattern of the site outside the API, the admin and static files (`skipped`: the route prefixes
    left out), read from the URL conf."""
    from django.urls import URLResolver, get_resolver

    found: list[PagePattern] = []

    def walk(patterns, prefix: str, namespace: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern), p.namespace or namespace)
                continue
            route = prefix + str(p.pattern)
            if route.startswith(skipped) or route.startswith("^"):
                continue
            params = re.findall(r"<(?:(\w+):)?(\w+)>", route)
            found.append(PagePattern(route, namespace or "", p.name or route, [(c or "str", n) for c, n in params]))

    walk(get_resolver().url_patterns, "", "")
    return found


def _app_models(namespace: str) -> list[str]:
    try:
        config = apps.get_app_config(namespace)
    except LookupError:
        return []
    return [m._meta.label_lower for m in config.get_models()]


def _values_for(conv: str, name: str, pattern: PagePattern, other: MarkedShop) -> list[str]:
    """Values of the other shop for one URL parameter (several when the model is ambiguous)."""
    if name in {"shop_code", "code", "shop"}:
        return [other.shop.code]
    if conv == "int":
        if name != "pk":
            label = _model_for_param(name, pattern.namespace)
            return [str(other.first(label).pk)] if label and other.first(label) is not None else [str(BIG_ID)]
        labels = [lbl for lbl in _app_models(pattern.namespace) if lbl in other.objects] or list(other.objects)
        return sorted({str(other.objects[lbl].pk) for lbl in labels}, key=int)
    if name == "token":
        tokens = [str(getattr(obj, "token", "")) for obj in other.objects.values() if getattr(obj, "token", "")]
        return tokens or ["no-such-token"]
    if name == "provider":
        return ["local"]
    return ["approve"]  # action names and other slugs: one ordinary value


def page_urls(pattern: PagePattern, other: MarkedShop, limit: int = 40) -> list[str]:
    """Concrete URLs for a pattern, each parameter pointing at the other shop's rows."""
    urls = ["/" + pattern.route]
    for conv, name in pattern.params:
        values = _values_for(conv, name, pattern, other)
        token = re.compile(r"<(?:\w+:)?" + re.escape(name) + ">")
        urls = [token.sub(v, u, count=1) for u in urls for v in values][:limit]
    return urls


def shop_rows_snapshot(shop) -> dict[str, set]:
    """(pk, updated_at) of every row the shop owns, per model: a write to the shop changes it."""
    snap = {}
    for model in shop_scoped_models():
        fields = ["pk"] + (["updated_at"] if any(f.name == "updated_at" for f in model._meta.concrete_fields) else [])
        snap[model._meta.label_lower] = set(model.objects.filter(shop=shop).values_list(*fields))
    return snap


def shop_rows_state(shop) -> dict[str, set]:
    """Every value of every row the shop owns, per model: unlike `shop_rows_snapshot` a write to a model
    without `updated_at` (a membership's role, a token's revocation, a flag) shows too."""
    state = {}
    for model in shop_scoped_models():
        names = [f.attname for f in model._meta.concrete_fields]
        rows = model.objects.filter(shop=shop).values_list(*names)
        state[model._meta.label_lower] = {tuple(str(v) for v in row) for row in rows}
    return state


def state_changes(before: dict[str, set], after: dict[str, set]) -> dict[str, int]:
    """Model label -> how many rows were added, removed or changed between two `shop_rows_state`s."""
    return {label: len(rows ^ before.get(label, set())) for label, rows in after.items()
            if rows != before.get(label, set())}


# --- forms on pages ----------------------------------------------------------------------------------

@dataclass
class PageForm:
    """One POST form as a page renders it: where it posts and what a browser would send."""
    page: str
    action: str
    data: dict[str, object]

    @property
    def key(self) -> str:
        return f"{self.action} {sorted(self.data)}"


_TEXT_FILL = {"number": "1", "tel": "13900000000", "email": "probe@example.com", "date": "2026-12-07",
              "datetime-local": "2026-12-07T10:00", "time": "10:00", "url": "https://example.com/"}


class _FormParser:
    def __init__(self, page: str):
        from html.parser import HTMLParser

        self.page, self.forms = page, []
        self._form = None
        self._select = None
        self._textarea = None
        parser = self

        class P(HTMLParser):
            def handle_starttag(self, tag, attrs):
                parser.start(tag, dict(attrs))

            def handle_endtag(self, tag):
                parser.end(tag)

            def handle_data(self, data):
                if parser._textarea is not None:
                    parser._textarea[1].append(data)

        self._parser = P()

    def feed(self, html: str) -> list[PageForm]:
        self._parser.feed(html)
        return self.forms

    def start(self, tag, a):
        if tag == "form":
            if (a.get("method") or "get").lower() == "post":
                self._form = {"action": a.get("action") or self.page, "fields": {}, "buttons": []}
            return
        form = self._form
        if form is None:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind in {"checkbox", "radio"}:
                if "checked" in a or name not in form["fields"]:
                    form["fields"][name] = a.get("value", "on")
            elif kind == "submit":
                form["buttons"].append((name, a.get("value", "")))
            elif kind not in {"file", "button", "reset", "image"}:
                value = a.get("value") or ""
                form["fields"][name] = value or _TEXT_FILL.get(kind, "探测")
        elif tag == "button" and name and (a.get("type") or "submit").lower() == "submit":
            form["buttons"].append((name, a.get("value", "")))
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select is not None:
            if "selected" in a or self._select not in form["fields"] or form["fields"][self._select] == "":
                form["fields"][self._select] = a.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = (name, [])

    def end(self, tag):
        form = self._form
        if tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea is not None and form is not None:
            name, parts = self._textarea
            form["fields"][name] = "".join(parts).strip() or "探测文字"
            self._textarea = None
        elif tag == "form" and form is not None:
            from urllib.parse import urljoin

            action = urljoin(self.page, form["action"])
            variants = [dict(form["fields"], **{n: v}) for n, v in form["buttons"]] or [form["fields"]]
            self.forms += [PageForm(self.page, action, data) for data in variants]
            self._form = None


def page_forms(page: str, html: str) -> list[PageForm]:
    """The POST forms of a rendered page, one per named submit button, empty fields filled with a plain
    value of their input type. CSRF tokens are sent as they are (the test client does not check them)."""
    return _FormParser(page).feed(html)


def harvest_forms(client, marked: MarkedShop, *, limit_per_pattern: int = 12) -> list[PageForm]:
    """Every POST form on every page (URL conf) that `client` sees with `marked`'s own ids: the writes a
    user of that shop is offered, with their real field names, hidden ids and action slugs."""
    seen, forms = set(), []
    for pattern in page_patterns():
        for url in page_urls(pattern, marked)[:limit_per_pattern]:
            response = client.get(url)
            if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                continue
            for form in page_forms(url, response.content.decode("utf-8", "replace")):
                if form.key not in seen and not form.action.startswith(("/i18n/", "/accounts/logout/")):
                    seen.add(form.key)
                    forms.append(form)
    return forms
