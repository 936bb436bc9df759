"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives."""

from __future__ import annotations

import socket

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    """An aiosmtpd handler keeping what it receives; refuses recipients it is told to."""

    def __init__(self, refuse: str | None = None):
        self.messages, self.refuse = [], refuse
        self.port = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse and address == self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, envelope.content.decode("utf-8", "replace")))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[str]:
        return [content for rcpt, content in self.messages if address in rcpt]


class SmtpServers:
    """Start servers with `start()`; `stop_all()` stops every one started."""

    def __init__(self):
        self.controllers = []

    def start(self, port: int | None = None, refuse: str | None = None) -> Inbox:
        inbox = Inbox(refuse)
        controller = Controller(inbox, hostname="127.0.0.1", port=port or free_port())
        controller.start()
        self.controllers.append(controller)
        inbox.port = controller.port
        return inbox

    def stop_all(self) -> None:
        for controller in self.controllers:
            controller.stop()
