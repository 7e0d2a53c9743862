"""What every inbound adapter produces, and the small helpers they share."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET  # noqa: S405 - DOCTYPE/ENTITY refused below; expat >= 2.4 limits expansion
from dataclasses import dataclass, field
from xml.parsers import expat  # noqa: S410 - used only to refuse DTD and entity declarations

from shouhou.core.clock import now

MAX_BODY_BYTES = 256 * 1024


class ChannelRejected(Exception):
    """The request is not acceptable: `status` is the HTTP answer (400 bad shape, 401/403 bad signature)."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


@dataclass
class Inbound:
    """One customer message as the channel delivered it, before it touches the inbox."""

    external_id: str
    contact_handle: str
    body: str
    at: dt.datetime | None = None
    msg_type: str = "text"
    subject: str = ""
    display_name: str = ""
    order_no: str = ""
    in_reply_to: str = ""
    extra: dict = field(default_factory=dict)
    # Files that came with the message, already checked: (file name, content).
    attachments: list[tuple[str, bytes]] = field(default_factory=list)
    # What each file is called where the sender named it (an email's attachment name, a web chat upload's name),
    # in the same order, cleaned by core.uploads.file_label ("" when unnamed): kept as Message.attachment_name,
    # a label only; the file is stored under its own generated name
    attachment_labels: list[str] = field(default_factory=list)


def parse_xml(raw: bytes) -> dict[str, str]:
    """Flat <xml><Tag>value</Tag>…</xml> as a dict (the WeChat/WeCom body shape). CDATA is handled by expat."""
    if not raw:
        raise ChannelRejected("请求体为空")
    if len(raw) > MAX_BODY_BYTES:
        raise ChannelRejected("请求体过大")
    _refuse_declarations(raw)
    try:
        root = ET.fromstring(raw)  # noqa: S314 - see the import note
    except ET.ParseError as exc:
        raise ChannelRejected(f"XML 格式错误：{exc}") from exc
    return {child.tag: (child.text or "").strip() for child in root}


class _Declared(Exception):
    pass


def _refuse_declarations(raw: bytes) -> None:
    """Refuse a body that declares a DOCTYPE or an entity (entity expansion, external entities), as expat itself
    sees it: the same words in a customer's text (「<!DOCTYPE html> 页面打不开」 inside CDATA) are words, not
    declarations — a byte search refused such a message on all four of WeChat's tries, and it was lost."""
    def declared(*_args) -> None:
        raise _Declared

    scanner = expat.ParserCreate()
    scanner.StartDoctypeDeclHandler = declared
    scanner.EntityDeclHandler = declared
    try:
        scanner.Parse(raw, True)
    except _Declared:
        raise ChannelRejected("不接受带 DOCTYPE/ENTITY 的 XML") from None
    except expat.ExpatError as exc:
        raise ChannelRejected(f"XML 格式错误：{exc}") from exc


def from_unix(value: str | int | None) -> dt.datetime:
    try:
        seconds = int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return now()
    if seconds <= 0:
        return now()
    return dt.datetime.fromtimestamp(seconds, tz=dt.UTC)
