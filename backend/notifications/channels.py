"""How a daily digest reaches a person: the channels ``qinghu remind`` sends it through.

- ``InAppChannel``: always; the digest is stored as a notification (the bell in the web app).
- ``SmtpChannel``: when ``QINGHU_SMTP_HOST`` is set and the person gave an address (stdlib ``smtplib``).
- ``SmsChannel``: the adapter interface for a text-message provider. Qinghu ships no provider; the
  ``LoggingSmsChannel`` below only logs that a message would be sent, and is not enabled by default
  (docs/notifications.md, "SMS").

A digest carries counts, a title and links only: no minor's name, not even masked, and no ID number.
"""

import asyncio
import logging
import smtplib
import ssl
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Protocol, runtime_checkable

from sqlalchemy.ext.asyncio import AsyncSession

from backend.notifications import service
from backend.settings import Settings

log = logging.getLogger(__name__)

DIGEST_KIND = "digest"


@dataclass(frozen=True)
class Digest:
    """One person's digest for one day."""

    user_id: uuid.UUID
    display_name: str
    day: date
    title: str
    lines: tuple[str, ...]
    link: str
    email: str | None = None

    @property
    def body(self) -> str:
        return "\n".join(self.lines)


@runtime_checkable
class Channel(Protocol):
    name: str

    async def send(self, digest: Digest) -> bool:
        """Deliver the digest; True when it was delivered (or stored), False when this channel does not reach
        the person (no address). Raises on a delivery failure."""
        ...


class InAppChannel:
    """Stores the digest as the person's notification of that day; a second run on the same day stores
    nothing (the unique (person, kind, day) key)."""

    name = "in_app"

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def send(self, digest: Digest) -> bool:
        return bool(await self.send_all([digest]))

    async def send_all(self, digests: Sequence[Digest]) -> list[Digest]:
        """Store many digests in a few statements (``service.store``): those stored now, in their order."""
        stored = await service.store(self.session, [_notification(digest) for digest in digests])
        new = {(user_id, key) for user_id, _kind, key in stored}
        return [
            digest for digest in digests if (uuid.UUID(str(digest.user_id)), digest.day.isoformat()) in new
        ]


def _notification(digest: Digest) -> service.NewNotification:
    return service.NewNotification(
        user_id=digest.user_id,
        kind=DIGEST_KIND,
        title=digest.title,
        body=digest.body,
        link=digest.link,
        dedupe_key=digest.day.isoformat(),
        digest_day=digest.day,
    )


class SmtpChannel:
    """Mails the digest over SMTP (plain, STARTTLS or TLS), one connection per message."""

    name = "email"

    def __init__(self, settings: Settings) -> None:
        if not settings.smtp_host:
            raise ValueError("SmtpChannel needs QINGHU_SMTP_HOST")
        self.settings = settings

    @classmethod
    def configured(cls, settings: Settings) -> "SmtpChannel | None":
        return cls(settings) if settings.smtp_host else None

    def message(self, digest: Digest) -> EmailMessage:
        base = (self.settings.public_base_url or "").rstrip("/")
        message = EmailMessage()
        message["Subject"] = f"【青护】{digest.title}"
        message["From"] = self.settings.smtp_from
        message["To"] = digest.email or ""
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(domain="qinghu")
        message.set_content(
            f"{digest.display_name}，您好：\n\n"
            + digest.body
            + f"\n\n请登录青护查看：{base}{digest.link}\n"
            + "（本邮件由系统自动发送，不含未成年人身份信息，请勿回复。）\n"
        )
        return message

    def _send_blocking(self, message: EmailMessage) -> None:
        settings = self.settings
        assert settings.smtp_host
        client: smtplib.SMTP
        if settings.smtp_ssl:
            client = smtplib.SMTP_SSL(
                settings.smtp_host,
                settings.smtp_port,
                timeout=settings.smtp_timeout_seconds,
                context=ssl.create_default_context(),
            )
        else:
            client = smtplib.SMTP(
                settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_seconds
            )
        with client:
            if settings.smtp_starttls and not settings.smtp_ssl:
                client.starttls(context=ssl.create_default_context())
            if settings.smtp_username and settings.smtp_password:
                client.login(settings.smtp_username, settings.smtp_password.get_secret_value())
            client.send_message(message)

    async def send(self, digest: Digest) -> bool:
        if not digest.email:
            return False
        # smtplib blocks: a worker thread, so one slow relay does not stop the event loop.
        await asyncio.to_thread(self._send_blocking, self.message(digest))
        return True


class SmsChannel(Protocol):
    """The adapter interface for text messages (短信). A provider's adapter implements ``send``: it looks the
    person's mobile number up in its own directory (Qinghu stores none) by ``digest.user_id`` and sends
    ``digest.title`` with the count of lines and the link — never more than the digest holds. Enable it by
    adding an instance to the channels ``backend.cli.remind`` builds (docs/notifications.md)."""

    name: str

    async def send(self, digest: Digest) -> bool: ...


class LoggingSmsChannel:
    """The SMS adapter interface's placeholder: it sends nothing and logs that a message would go out. Replace
    it with a provider's adapter (see ``SmsChannel``); ``qinghu remind`` does not use it unless asked."""

    name = "sms"

    async def send(self, digest: Digest) -> bool:
        log.info("sms adapter not configured: digest for user %s not sent by SMS", digest.user_id)
        return False
