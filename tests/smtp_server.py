"""A real SMTP server (aiosmtpd on 127.0.0.1) that answers from a script: the SMTP faults of the suite.

Shared by the mail tests and the reliability state machine. Every scripted fault the server actually
plays (a 4xx/5xx answer, a connection dropped at RCPT or after DATA) is counted in the suite's figures
as a fault injected.
"""

from __future__ import annotations

import socket
from email import message_from_bytes, policy

from tests import figures


class Handler:
    """Accepts mail, or answers DATA from a script (451, 554), or drops the connection at RCPT / after DATA."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.data_script: list[str] = []  # next DATA answers; "drop" closes the connection without one
        self.rcpt_script: list[str] = []
        self.data_seen: list[bytes] = []  # every DATA the server received, answered or not
        self.accepted: list[tuple[str, list[str], bytes]] = []
        self.dropped: list[bytes] = []  # DATA received, the connection closed before the answer: may be delivered
        self.on_data = None  # called with each message's raw bytes as it arrives (a test's hook)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_script:
            answer = self.rcpt_script.pop(0)
            if not answer.startswith("250"):
                figures.count("faults injected")
            if answer == "drop":
                server.transport.close()
            return answer if answer != "drop" else "250 OK"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.data_seen.append(envelope.original_content)
        if self.on_data:
            self.on_data(envelope.original_content)
        answer = self.data_script.pop(0) if self.data_script else "250 2.0.0 queued"
        if not answer.startswith("250"):
            figures.count("faults injected")
        if answer == "drop":
            self.dropped.append(envelope.original_content)
            server.transport.close()  # the message is in, the answer never comes
            return "250 OK"
        if answer.startswith("250"):
            self.accepted.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return answer

    def messages(self):
        return [(frm, to, message_from_bytes(raw, policy=policy.default)) for frm, to, raw in self.accepted]

    def delivered_ids(self) -> list[str]:
        """Message-IDs of every message the server may hold: accepted, or dropped after its data."""
        raws = [raw for _f, _t, raw in self.accepted] + self.dropped
        return [message_from_bytes(raw)["Message-ID"] for raw in raws]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
