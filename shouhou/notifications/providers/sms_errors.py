"""The SMS gateways' error codes, each with what it means for a merchant (Chinese, shown on the message) and
whether the outbox should try again. Facts from the gateways' published code lists: Aliyun SendSms
(dysmsapi 2017-05-25: isv.*, isp.*, the common RPC codes) and Tencent Cloud SMS API 3.0 (SendSms 2021-01-11:
FailedOperation.*, LimitExceeded.*, InvalidParameterValue.*, the common AuthFailure.* codes).

Retry only what a later try can fix within the outbox's back-off (about half an hour over 6 attempts): the
gateway's own fault, throttling per minute or hour, an empty balance a person may top up. A daily limit, a
bad number, an unapproved template or signature, a number on the do-not-disturb list fail at once with the
reason: trying again only adds load (and, for a daily limit, sends it the next day, out of date).
"""

from __future__ import annotations

from shouhou.notifications.providers.base import PermanentError, ProviderError, RetryableError

RETRY, FAIL = True, False

ALIYUN: dict[str, tuple[bool, str]] = {
    "isp.SYSTEM_ERROR": (RETRY, "阿里云系统错误，稍后自动重试"),
    "isp.GATEWAY_ERROR": (RETRY, "阿里云网关错误，稍后自动重试"),
    "isp.UNKNOWN": (RETRY, "阿里云未知异常，稍后自动重试"),
    "ServiceUnavailable": (RETRY, "阿里云服务暂不可用，稍后自动重试"),
    "Throttling.User": (RETRY, "请求过于频繁（账号限流），稍后自动重试"),
    "SignatureNonceUsed": (RETRY, "请求随机数重复，稍后自动重试"),
    "isv.BUSINESS_LIMIT_CONTROL": (RETRY, "触发阿里云流控（同一号码发送过于频繁），稍后自动重试"),
    "isv.AMOUNT_NOT_ENOUGH": (RETRY, "短信账户余额不足，请充值；充值前会自动重试几次"),
    "isv.OUT_OF_SERVICE": (RETRY, "短信业务因欠费停机，请充值；充值前会自动重试几次"),
    "isv.DAY_LIMIT_CONTROL": (FAIL, "该号码今日已达短信发送上限"),
    "isv.MOBILE_NUMBER_ILLEGAL": (FAIL, "手机号格式错误，请核对顾客手机号"),
    "isv.MOBILE_COUNT_OVER_LIMIT": (FAIL, "手机号数量超过限制"),
    "isv.TEMPLATE_MISSING_PARAMETERS": (FAIL, "短信模板变量缺少参数，请核对模板变量设置（template_params）"),
    "isv.CONTENT_MISSING_PARAMETERS": (FAIL, "短信模板变量缺少参数，请核对模板变量设置（template_params）"),
    "isv.SMS_TEMPLATE_ILLEGAL": (FAIL, "短信模板不可用（未审核通过或模板编号错误）"),
    "isv.SMS_SIGNATURE_ILLEGAL": (FAIL, "短信签名不可用（未审核通过或签名错误）"),
    "isv.SMS_SIGN_NAME_ILLEGAL": (FAIL, "短信签名不可用（未审核通过或签名错误）"),
    "isv.INVALID_PARAMETERS": (FAIL, "请求参数异常"),
    "isv.INVALID_JSON_PARAM": (FAIL, "模板变量格式错误（应为字符串）"),
    "isv.BLACK_KEY_CONTROL_LIMIT": (FAIL, "模板变量含有被禁用的关键字"),
    "isv.PARAM_LENGTH_LIMIT": (FAIL, "模板变量太长"),
    "isv.PARAM_NOT_SUPPORT_URL": (FAIL, "模板变量不能含网址，网址请写进审核过的模板"),
    "isv.PRODUCT_UN_SUBSCRIPT": (FAIL, "阿里云短信服务未开通"),
    "isv.PRODUCT_UNSUBSCRIBE": (FAIL, "阿里云短信服务未开通"),
    "isv.ACCOUNT_NOT_EXISTS": (FAIL, "阿里云账户不存在"),
    "isv.ACCOUNT_ABNORMAL": (FAIL, "阿里云账户异常"),
    "isp.RAM_PERMISSION_DENY": (FAIL, "访问密钥没有发送短信的权限（RAM）"),
    "SignatureDoesNotMatch": (FAIL, "请求签名不匹配，请核对 AccessKey Secret"),
    "InvalidAccessKeyId.NotFound": (FAIL, "AccessKey ID 不存在"),
    "InvalidAccessKeyId.Inactive": (FAIL, "AccessKey ID 已停用"),
    "InvalidTimeStamp.Expired": (FAIL, "请求时间与阿里云相差过大，请校准服务器时间"),
}

TENCENT: dict[str, tuple[bool, str]] = {
    "InternalError.Timeout": (RETRY, "腾讯云处理超时，稍后自动重试"),
    "InternalError.RequestTimeException": (FAIL, "请求时间异常，请校准服务器时间"),
    "InternalError.SigVerificationFail": (FAIL, "请求签名校验失败，请核对密钥"),
    "InternalError.RestApiInterfaceNotExist": (FAIL, "接口不存在"),
    "RequestLimitExceeded": (RETRY, "请求过于频繁，稍后自动重试"),
    "FailedOperation.InsufficientBalanceInSmsPackage": (RETRY, "短信套餐包余量不足，请购买套餐包；购买前会自动重试几次"),
    "FailedOperation.MarketingSendTimeConstraint": (RETRY, "营销短信只允许 8 点到 22 点发送，稍后自动重试"),
    "FailedOperation.PhoneNumberInBlacklist": (FAIL, "该号码在免打扰名单中（顾客退订或运营商拦截），未送达"),
    "FailedOperation.PhoneNumberParseFail": (FAIL, "手机号格式错误，请核对顾客手机号"),
    "InvalidParameterValue.IncorrectPhoneNumber": (FAIL, "手机号格式错误，请核对顾客手机号"),
    "FailedOperation.SignatureIncorrectOrUnapproved": (FAIL, "短信签名未审批或格式错误"),
    "FailedOperation.TemplateIncorrectOrUnapproved": (FAIL, "短信模板未审批或内容与模板不符"),
    "FailedOperation.TemplateParamSetNotMatchApprovedTemplate": (FAIL, "模板变量个数与审核通过的模板不一致，请核对模板变量设置（template_params）"),
    "FailedOperation.ContainSensitiveWord": (FAIL, "短信内容含敏感词"),
    "FailedOperation.FailResolvePacket": (FAIL, "请求格式错误"),
    "FailedOperation.JsonParseFail": (FAIL, "请求格式错误"),
    "InvalidParameterValue.ContentLengthLimit": (FAIL, "短信内容太长"),
    "InvalidParameterValue.TemplateParameterFormatError": (FAIL, "模板变量格式错误"),
    "InvalidParameterValue.TemplateParameterLengthLimit": (FAIL, "模板变量太长"),
    "InvalidParameterValue.ProhibitedUseUrlInTemplateParameter": (FAIL, "模板变量不能含网址，网址请写进审核过的模板"),
    "InvalidParameterValue.SdkAppIdNotExist": (FAIL, "SdkAppId 不存在"),
    "UnauthorizedOperation.SmsSdkAppIdVerifyFail": (FAIL, "SdkAppId 校验失败"),
    "UnauthorizedOperation.RequestIpNotInWhitelist": (FAIL, "服务器 IP 不在腾讯云短信白名单中"),
    "UnauthorizedOperation.RequestPermissionDeny": (FAIL, "没有发送短信的权限"),
    "LimitExceeded.PhoneNumberThirtySecondLimit": (RETRY, "同一号码 30 秒内发送过多，稍后自动重试"),
    "LimitExceeded.PhoneNumberOneHourLimit": (RETRY, "同一号码 1 小时内发送过多，稍后自动重试"),
    "LimitExceeded.DeliveryFrequencyLimit": (RETRY, "触发频率限制，稍后自动重试"),
    "LimitExceeded.PhoneNumberDailyLimit": (FAIL, "该号码今日已达短信发送上限"),
    "LimitExceeded.PhoneNumberSameContentDailyLimit": (FAIL, "该号码今日收到相同内容已达上限"),
    "LimitExceeded.AppDailyLimit": (FAIL, "本应用今日短信发送量已达上限"),
    "LimitExceeded.AppCountryOrRegionDailyLimit": (FAIL, "本应用今日该地区短信发送量已达上限"),
    "AuthFailure.SignatureFailure": (FAIL, "请求签名错误，请核对 SecretKey"),
    "AuthFailure.SignatureExpire": (FAIL, "签名过期，请校准服务器时间"),
    "AuthFailure.SecretIdNotFound": (FAIL, "SecretId 不存在或已停用"),
}
# The person blocked or unsubscribed at the carrier or provider: recorded as an SMS opt-out of the number
# (services.sms_block_record), so the shop stops trying.
RECIPIENT_BLOCKED = frozenset({"FailedOperation.PhoneNumberInBlacklist"})
# Families: a code not listed above is judged by its prefix (InternalError.* retry, the rest fail).
TENCENT_RETRY_PREFIXES = ("InternalError", "RequestLimitExceeded")


def sms_error(gateway: str, code: str, message: str = "") -> ProviderError:
    """The error to raise for a gateway's code: retryable or permanent, with a clear reason and the code."""
    if gateway == "aliyun":
        label, known = "阿里云短信", ALIYUN.get(code)
        retry = known[0] if known else False
    else:
        label, known = "腾讯云短信", TENCENT.get(code)
        retry = known[0] if known else code.startswith(TENCENT_RETRY_PREFIXES)
    reason = known[1] if known else f"服务商返回错误{('：' + message) if message else ''}"
    text = f"{label} {code or '无错误码'}：{reason}"
    error = RetryableError(text) if retry else PermanentError(text)
    error.code = code
    error.recipient_blocked = code in RECIPIENT_BLOCKED
    return error
