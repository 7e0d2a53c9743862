"""Email through Django's mail backend (SMTP in production, locmem in tests)."""

from __future__ import annotations

import smtplib

from django.core.mail import EmailMessage, get_connection

from shouhou.notifications.providers.base import PermanentError, Provider, RetryableError, SendResult


class EmailProvider(Provider):
    name = "email"

    def send(self, message) -> SendResult:
        o = self.options
        connection = get_connection(o.get("backend", "django.core.mail.backends.smtp.EmailBackend"),
                                    host=o.get("host", "localhost"), port=int(o.get("port", 25)),
                                    username=o.get("username"), password=o.get("password"),
                                    use_tls=bool(o.get("use_tls", False)), use_ssl=bool(o.get("use_ssl", False)),
                                    timeout=float(o.get("timeout", 10)), fail_silently=False)
        mail = EmailMessage(subject=o.get("subject", "售后服务通知"), body=message.body,
                            from_email=o.get("from_email"), to=[message.recipient], connection=connection)
        try:
            mail.send()
        except smtplib.SMTPRecipientsRefused as exc:
            raise PermanentError(f"收件人被拒：{exc}") from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise RetryableError(f"SMTP 错误：{exc}") from exc
        return SendResult(provider_message_id=f"email-{message.pk}")


class InAppProvider(Provider):
    """In-app: the message row is the inbox the consumer portal reads."""

    name = "in_app"

    def send(self, message) -> SendResult:
        return SendResult(provider_message_id=f"inapp-{message.pk}")
