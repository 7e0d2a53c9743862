"""The column mapping: canonical fields, their Chinese labels and the header synonyms platforms use.

Douyin (抖店), Kuaishou (快手小店), WeChat Channels (视频号小店), Youzan (有赞) and Taobao (千牛) all export
one row per order line, with different header words for the same thing. A shop can override the
defaults with a mapping document: {"order_no": "外部单号", "paid_amount": ["实收", "实付"]}.
"""

from __future__ import annotations

from dataclasses import dataclass

from shouhou.commerce.importers import messages as M
from shouhou.commerce.importers.messages import Reason


@dataclass(frozen=True)
class Field:
    name: str
    label: str  # the Chinese header we name in reports
    synonyms: tuple[str, ...]
    kind: str = "text"  # text | money | int | datetime | phone | bool | tier | category | carrier | status
    required: bool = False


FIELDS: tuple[Field, ...] = (
    Field("order_no", "订单号", ("订单号", "订单编号", "主订单编号", "主订单号", "订单ID", "订单id", "父订单号"),
          required=True),
    Field("sub_order_no", "子订单号", ("子订单号", "子订单编号", "子订单ID", "商品订单号")),
    Field("product_name", "商品名称", ("商品名称", "选购商品", "商品标题", "宝贝标题", "商品", "商品名"),
          required=True),
    Field("product_id", "商品ID", ("商品ID", "商品id", "商品编号", "宝贝ID", "商品编码")),
    Field("spec", "规格", ("规格", "商品规格", "规格名称", "SKU规格", "销售属性", "颜色/尺码")),
    Field("sku_code", "SKU编码", ("SKU编码", "商家编码", "SKU编号", "sku编码", "规格编码", "商家SKU编码", "商品规格编码")),
    Field("quantity", "数量", ("数量", "购买数量", "商品数量", "宝贝数量", "件数"), kind="int"),
    Field("paid_amount", "实付金额", ("实付金额", "实付款", "支付金额", "买家实付", "实收金额", "商品实付金额",
                                    "商品实付", "应付金额", "商品应付金额", "商品实际成交金额"), kind="money"),
    # The order's amount as exported: on each row of the order (repeated) or per sub-order; settled per
    # order by importers.amounts.settle_amounts (docs/imports.md).
    Field("order_amount", "订单应付金额", ("订单应付金额", "订单实付金额", "订单金额", "订单实付"), kind="money"),
    Field("unit_price", "商品单价", ("商品单价", "单价", "商品金额", "商品价格"), kind="money"),
    Field("placed_at", "下单时间", ("下单时间", "订单提交时间", "订单创建时间", "创建时间", "提交时间"),
          kind="datetime"),
    Field("paid_at", "支付时间", ("支付时间", "付款时间", "支付完成时间", "订单付款时间", "买家付款时间", "支付成功时间"), kind="datetime"),
    Field("shipped_at", "发货时间", ("发货时间", "订单发货时间", "卖家发货时间", "商品发货时间"), kind="datetime"),
    Field("signed_at", "签收时间", ("签收时间", "确认收货时间", "收货时间", "订单完成时间", "完成时间", "交易完成时间",
                                  "交易成功时间"),
          kind="datetime"),
    Field("promised_ship_by", "承诺发货时间", ("承诺发货时间", "预计发货时间", "最晚发货时间", "发货截止时间"),
          kind="datetime"),
    Field("status", "订单状态", ("订单状态", "交易状态", "状态"), kind="status"),
    Field("receiver_name", "收货人", ("收货人", "收件人", "收货人姓名", "收件人姓名", "买家姓名",
                                        "收货人/提货人")),
    Field("phone", "手机号", ("手机号", "收货人手机号", "联系电话", "收件人手机", "收货人电话", "联系手机",
                           "手机号码", "收件人电话", "收件人手机号", "收货人手机",
                           "收货人手机号/提货人手机号", "收货人联系方式", "收件人联系方式"), kind="phone"),
    Field("address", "收货地址", ("收货地址", "详细地址", "收件地址", "地址", "收货人地址", "详细收货地址",
                                 "收货人详细地址", "收件人地址", "详细收货地址/提货地址")),
    # Exports that split the address (抖店: 省/市/区/街道 + 详细地址) are joined into `address` by parse_row.
    Field("province", "省", ("省", "省份", "收货人省份", "收件人省份", "收货省份", "所在省")),
    Field("city", "市", ("市", "城市", "收货人城市", "收件人城市", "收货城市", "所在市")),
    Field("district", "区", ("区", "区县", "区/县", "收货人地区", "收货人区县", "收件人区县", "收货区县", "所在区")),
    Field("street", "街道", ("街道", "街道/镇", "乡镇/街道", "收货人街道", "镇/街道")),
    Field("after_sale_status", "售后状态", ("售后状态", "退款状态", "售后状态描述", "商品退款状态")),
    Field("carrier", "物流公司", ("物流公司", "快递公司", "承运商", "物流公司名称", "快递公司名称"), kind="carrier"),
    Field("tracking_no", "运单号", ("运单号", "快递单号", "物流单号", "运单编号")),
    Field("live_session", "直播间", ("直播间", "直播场次", "直播间名称", "直播标题", "流量来源场次")),
    Field("host", "主播", ("主播", "主播昵称", "达人昵称", "带货达人", "作者昵称")),
    Field("category", "类目", ("类目", "商品类目", "一级类目", "商品分类"), kind="category"),
    Field("batch_no", "批次号", ("批次号", "生产批次", "批号")),
    Field("tier", "会员等级", ("会员等级", "客户等级", "买家等级", "等级"), kind="tier"),
    Field("return_insurance", "运费险", ("运费险", "是否有运费险", "退货运费险", "是否投保运费险"), kind="bool"),
)

FIELDS_BY_NAME: dict[str, Field] = {f.name: f for f in FIELDS}


class MappingError(ValueError):
    """Raised with a messages.Reason (the Chinese text, with its code and parameters: shown in the reader's
    language)."""


_UNIT_SUFFIXES = ("(元)", "（元）", "(件)", "（件）", "(个)", "（个）")


def _clean_header(value: object) -> str:
    text = str(value if value is not None else "").strip().strip("\ufeff").strip()
    for ch in ("*", "：", ":", "\t"):
        text = text.replace(ch, "")
    text = text.strip()
    if text.endswith(_UNIT_SUFFIXES):  # 实付款(元), 商品数量（件）: the unit is no part of the name
        text = text[:text.rindex("(" if text.endswith(")") else "（")].strip()
    return text


clean_header = _clean_header  # the header text as it is matched (for messages naming a file's columns)


def resolve_columns(headers: list[object], overrides: dict | None = None) -> dict[str, int]:
    """Map canonical field names to column indexes. Overrides win over the synonyms.

    Raises MappingError for an unknown field in the overrides, an override naming a header the
    file does not have, or a missing required column."""
    cleaned = [_clean_header(h) for h in headers]
    index: dict[str, int] = {}
    for pos, header in enumerate(cleaned):
        if header and header not in index:
            index[header] = pos
    columns: dict[str, int] = {}
    for name, wanted in (overrides or {}).items():
        field = FIELDS_BY_NAME.get(name)
        if field is None:
            known = "、".join(f.name for f in FIELDS)
            raise MappingError(Reason(M.MAPPING_UNKNOWN_FIELD, name=name, known=known))
        candidates = [wanted] if isinstance(wanted, str) else list(wanted or [])
        hit = next((index[_clean_header(c)] for c in candidates if _clean_header(c) in index), None)
        if hit is None:
            raise MappingError(Reason(M.MAPPING_NO_COLUMN, label=field.label, wanted="/".join(map(str, candidates))))
        columns[name] = hit
    taken = set(columns.values())
    for field in FIELDS:
        if field.name in columns:
            continue
        hit = next((index[s] for s in field.synonyms if s in index and index[s] not in taken), None)
        if hit is not None:
            columns[field.name] = hit
            taken.add(hit)
    for field in FIELDS:
        if field.required and field.name not in columns:
            raise MappingError(Reason(M.MISSING_COLUMN, label=field.label, synonyms="/".join(field.synonyms)))
    return columns


# Optional columns whose absence changes what the imported data can do: warned about in the report.
IMPORTANT_OPTIONAL = ("paid_amount", "phone", "signed_at", "quantity")


def ignored_headers(headers: list[object], columns: dict[str, int]) -> list[str]:
    """The file's non-empty header cells that no field uses (shown in the report, so a column the
    mapping does not know is noticed instead of silently dropped)."""
    used = set(columns.values())
    return [_clean_header(h) for pos, h in enumerate(headers) if pos not in used and _clean_header(h)]


def header_labels(headers: list[object], columns: dict[str, int]) -> dict[str, str]:
    """The header text as it appears in the file, per field (for the report)."""
    return {name: _clean_header(headers[pos]) or FIELDS_BY_NAME[name].label for name, pos in columns.items()}
