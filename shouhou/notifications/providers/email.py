"""Email through Django's mail backend (SMTP in production, locmem in tests)."""

from __future__ import annotations

import smtplib

from django.core.exceptions import ValidationError
from django.core.mail import BadHeaderError, EmailMessage, get_connection
from django.core.validators import validate_email

from shouhou.notifications.providers.base import PermanentError, Provider, RetryableError, SendResult


class EmailProvider(Provider):
    name = "email"

    def send(self, message) -> SendResult:
        o = self.options
        recipient_check(message.recipient)
        connection = get_connection(o.get("backend", "django.core.mail.backends.smtp.EmailBackend"),
                                    host=o.get("host", "localhost"), port=int(o.get("port", 25)),
                                    username=o.get("username"), password=o.get("password"),
                                    use_tls=bool(o.get("use_tls", False)), use_ssl=bool(o.get("use_ssl", False)),
                                    timeout=float(o.get("timeout", 10)), fail_silently=False)
        mail = EmailMessage(subject=o.get("subject", "售后服务通知"), body=message.body,
                            from_email=o.get("from_email"), to=[message.recipient], connection=connection)
        try:
            mail.send()
        except (BadHeaderError, ValueError) as exc:  # a header the message cannot carry: never retried
            raise PermanentError(f"邮件无法生成：{exc}") from exc
        except smtplib.SMTPRecipientsRefused as exc:
            raise PermanentError(f"收件人被拒：{exc}") from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise RetryableError(f"SMTP 错误：{exc}") from exc
        return SendResult(provider_message_id=f"email-{message.pk}")


def recipient_check(recipient: str) -> None:
    """One plain address, or PermanentError. A customer's email comes from imports, platforms and inbound
    mail: a line break in it was a header injection (Django refused it with BadHeaderError, which escaped the
    outbox and left the message re-sent every 10 minutes for ever), and "a@x.cn, b@y.cn" sent one care
    message to two people."""
    text = recipient or ""
    try:
        if text != text.strip() or any(ch in text for ch in "\r\n,;<>\"") or len(text) > 254:
            raise ValidationError("invalid")
        validate_email(text)
    except ValidationError as exc:
        raise PermanentError("收件人邮箱无效（应为一个邮箱地址，不含换行、逗号或显示名）") from exc


class InAppProvider(Provider):
    """In-app: the message row is the inbox the consumer portal reads."""

    name = "in_app"

    def send(self, message) -> SendResult:
        return SendResult(provider_message_id=f"inapp-{message.pk}")
