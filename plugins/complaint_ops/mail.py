"""Mail: render (Jinja2), queue (transactional outbox), send (yagmail over SMTP) — POLICY.md §8.

Rendering. `render(kind, view, lang)` turns a view model (built by `digests`) into a subject, a plain-text
body and an HTML body from `templates/<kind folder>/{subject.txt, body.txt, body.html}`: Jinja2 with
StrictUndefined everywhere, autoescape for HTML (complaint text arrives escaped), CSS inlined with
css-inline for mail clients that drop <style>, charts drawn here as PNG with the standard library only
(no Pillow/matplotlib: numbers and ASCII labels in the image, names in the HTML legend next to it).
Customer phones never reach a template unmasked (`mask_phone`, 138****5678).

Outbox. `enqueue()` writes one `mail_outbox` row per (recipient, kind, period) — unique in the database —
inside the caller's transaction, already rendered, with its inline images in `mail_parts` and a
Message-ID fixed at that moment. States (see migration 0004):

    pending --claim--> sending --> sent | failed | unknown | rejected
    failed  --(next_attempt_at passed)--> sending ...      (backoff; after MAX_ATTEMPTS: no next attempt)
    archived  (a backfill's message: stored, never sent; `release` makes it pending)
    sending   left behind by a sender that died -> unknown on the next pass (never sent twice)

Sending. `drain(engine, now=...)` claims due rows one at a time (PostgreSQL: FOR UPDATE SKIP LOCKED, so two
drains never claim the same row; SQLite: one writer at a time, the claim is a single UPDATE), commits
the claim, attempts the message once, and records the outcome with a `mail_attempts` row.

yagmail, used safely (its defaults bite):
- credentials are passed explicitly; `handle_password` is overridden so a missing password is an error,
  never a keyring lookup or a terminal prompt; `user` is given as {address: address} so yagmail does not
  append "@gmail.com" to a login without "@";
- the MIME message is built here (multipart/alternative: our own text/plain part, and text/html with its
  inline images in multipart/related). yagmail's own builder would read any content string naming an
  existing file as that file, turn every newline of the HTML into <br> and send the HTML source as the
  "plain text" part; we hand yagmail only the finished message string;
- `_attempt_send` retries on SMTPServerDisconnected (three times, re-logging in, sleeping): the
  connection classes below convert a disconnect into `ConnectionLost` (before the message data went
  out: retried on a later pass) or `DeliveryUnknown` (after: never resent), neither of which yagmail
  catches, so every message gets exactly one attempt per pass;
- its `False` return and a non-empty dict of refused recipients are failures, never success;
- TLS verifies certificates (smtplib's default context for STARTTLS and SMTP_SSL does not);
- every header value is checked for CR/LF (and other line breaks) before a message is queued or sent.

Settings: `COMPLAINT_OPS_SMTP_URL` (smtp://user:pass@host:587?starttls=true&from=ops@x.cn, smtps://...,
or capture:/path), else the Airflow Connection `complaints_smtp`, else the local capture under
`var/outbox/` (each message as .eml plus an .html to open in a browser).
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import functools
import hashlib
import json
import logging
import math
import os
import re
import smtplib
import ssl
import struct
import sys
import uuid
import zlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from sqlalchemy import Engine

from complaint_ops import db, settings
from complaint_ops.redact import mask_phone

log = logging.getLogger(__name__)

KINDS = ("D1", "D2", "D3", "D4", "A1")  # reports and alerts to staff (POLICY.md §8)
OPS = "OPS"  # notices to the operations team (complaint_ops.ops): addresses, not staff
ALL_KINDS = (*KINDS, OPS)
TEMPLATE_DIRS = {
    "D1": "d1_daily_digest",
    "D2": "d2_monthly_statistics",
    "D3": "d3_revisit_statistics",
    "D4": "d4_half_year_review",
    "A1": "a1_major_alert",
    OPS: "ops_notice",
}
STATES = ("pending", "sending", "sent", "failed", "unknown", "rejected", "archived")
CONN_ID = "complaints_smtp"
MAX_ATTEMPTS = 8  # temporary failures before a message stops being retried (5 min .. 4 h apart: ~17 h)
BACKOFF_BASE = dt.timedelta(minutes=5)
BACKOFF_MAX = dt.timedelta(hours=4)
STALE_CLAIM = dt.timedelta(minutes=15)  # a `sending` row older than this lost its sender
DEFAULT_TIMEOUT = 30.0
INLINE_CSS_LIMIT = 90_000  # bytes of HTML: inline the CSS below this, keep the <style> block above it
# 7-bit clean (base64/quoted-printable bodies, RFC 2047 headers): smtplib sends str messages as ASCII,
# and no server needs 8BITMIME.
MAIL_POLICY = SMTP_POLICY.clone(cte_type="7bit")


class MailError(Exception):
    """Base of the mail errors."""


class SettingsError(MailError):
    """SMTP settings are missing or wrong: said plainly to the operator."""


class HeaderInjection(MailError, ValueError):
    """A header value contains CR/LF (or another line break): refused, never sent."""


class InvalidAddress(MailError, ValueError):
    """Not an e-mail address we send to."""


class DeliveryError(MailError):
    code: int | None = None


class TemporaryFailure(DeliveryError):
    def __init__(self, detail: str, code: int | None = None):
        super().__init__(detail)
        self.code = code


class ConnectFailure(TemporaryFailure):
    """No connection or login: nothing was sent, and the rest of the pass would fail the same way."""


class PermanentFailure(DeliveryError):
    def __init__(self, detail: str, code: int | None = None):
        super().__init__(detail)
        self.code = code


class ConnectionLost(smtplib.SMTPException):
    """The connection dropped before the message data was sent: the server cannot hold the message.
    Not an SMTPServerDisconnected on purpose: yagmail's retry loop must not catch it."""


class DeliveryUnknown(smtplib.SMTPException):
    """The connection dropped after the message data was sent: the server may hold the message."""


# --- formatting ----------------------------------------------------------------------------------

_LINE_BREAKS = re.compile(r"[\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029\x00]")
_ADDRESS = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)


def check_header(name: str, value: str) -> str:
    """The value of a header, or HeaderInjection when it could end the header (CR, LF, NUL, ...)."""
    if not isinstance(value, str):
        raise HeaderInjection(f"{name}: not text ({type(value).__name__})")
    if _LINE_BREAKS.search(value):
        raise HeaderInjection(f"{name} contains a line break (CR/LF): refused, a header must be one line: {value!r}")
    return value


def check_address(value: str | None, what: str = "address") -> str:
    if not value:
        raise InvalidAddress(f"{what}: no e-mail address")
    check_header(what, value)
    if not _ADDRESS.match(value) or len(value) > 254:
        raise InvalidAddress(f"{what}: {value!r} is not an e-mail address")
    return value


def fmt_money(value: Any) -> str:
    if value is None:
        return "—"
    return f"{db.money(value):,.2f}"


def fmt_int(value: Any) -> str:
    if value is None:
        return "—"
    return f"{int(value):,}"


def fmt_points(value: Any) -> str:
    if value is None:
        return "—"
    return f"{int(value):+,d}" if value else "0"


def fmt_pct(value: Any, digits: int = 1) -> str:
    if value is None:
        return "—"
    return f"{float(value) * 100:.{digits}f}%"


def _local(value: dt.datetime) -> dt.datetime:
    return db.as_utc(value).astimezone(settings.business_timezone())


def fmt_datetime(value: Any) -> str:
    return "" if value is None else _local(value).strftime("%Y-%m-%d %H:%M")


def fmt_short(value: Any) -> str:
    return "" if value is None else _local(value).strftime("%m-%d %H:%M")


def fmt_date(value: Any) -> str:
    if value is None:
        return ""
    return db.as_date(value).isoformat()


def oneline(text: Any, limit: int = 0) -> str:
    """Whitespace collapsed to single spaces (a table cell, a subject), cut at `limit` characters."""
    value = " ".join(str(text or "").split())
    if limit and len(value) > limit:
        return value[: limit - 1].rstrip() + "…"
    return value


def display_width(text: str) -> int:
    """Columns in a monospaced rendering: CJK characters take two."""
    if text.isascii():  # most cells: ids, dates, amounts (hot path of every text table)
        return len(text)
    return len(text) + sum(1 for ch in text if _east_asian_wide(ch))


@functools.lru_cache(maxsize=4096)
def _east_asian_wide(ch: str) -> bool:
    import unicodedata

    return unicodedata.east_asian_width(ch) in "WF"


def text_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], aligns: str = "", indent: int = 2) -> str:
    """A plain-text table (CJK-aware widths, right-aligned numeric columns): readable in any mail client."""
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in row] for row in rows]
    n = len(headers)
    aligns = (aligns or "").ljust(n, "l")
    widths = [max(display_width(row[i]) for row in cells) for i in range(n)]
    pad = " " * indent

    def line(row):
        parts = []
        for i, value in enumerate(row):
            gap = widths[i] - display_width(value)
            parts.append(" " * gap + value if aligns[i] == "r" else value + " " * gap)
        return (pad + "  ".join(parts)).rstrip()

    out = [line(cells[0]), pad + "  ".join("-" * w for w in widths)]
    out += [line(row) for row in cells[1:]]
    return "\n".join(out)


def text_fields(pairs: Sequence[Sequence[Any]], indent: int = 2) -> str:
    """`label: value` lines with the values aligned (CJK-aware); pairs with an empty value are left out."""
    pairs = [(str(k), "" if v is None else str(v)) for k, v in pairs if v not in (None, "")]
    width = max((display_width(k) for k, _ in pairs), default=0)
    return "\n".join(" " * indent + k + ":" + " " * (width - display_width(k) + 1) + v for k, v in pairs)


# --- charts: PNG with the standard library ---------------------------------------------------------

# 5x7 dot font, one string of seven rows per glyph (digits fixed width, everything else trimmed);
# lower case is drawn as upper case, anything unknown as "#".
_FONT = {
    "0": ".###. #...# #...# #...# #...# #...# .###.", "1": "..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###.",
    "2": ".###. #...# ....# ...#. ..#.. .#... #####", "3": "####. ....# ....# .###. ....# ....# ####.",
    "4": "...#. ..##. .#.#. #..#. ##### ...#. ...#.", "5": "##### #.... ####. ....# ....# #...# .###.",
    "6": "..##. .#... #.... ####. #...# #...# .###.", "7": "##### ....# ...#. ..#.. .#... .#... .#...",
    "8": ".###. #...# #...# .###. #...# #...# .###.", "9": ".###. #...# #...# .#### ....# ...#. .##..",
    "A": ".###. #...# #...# ##### #...# #...# #...#", "B": "####. #...# #...# ####. #...# #...# ####.",
    "C": ".###. #...# #.... #.... #.... #...# .###.", "D": "####. #...# #...# #...# #...# #...# ####.",
    "E": "##### #.... #.... ####. #.... #.... #####", "F": "##### #.... #.... ####. #.... #.... #....",
    "G": ".###. #...# #.... #.### #...# #...# .####", "H": "#...# #...# #...# ##### #...# #...# #...#",
    "I": ".###. ..#.. ..#.. ..#.. ..#.. ..#.. .###.", "J": "..### ...#. ...#. ...#. ...#. #..#. .##..",
    "K": "#...# #..#. #.#.. ##... #.#.. #..#. #...#", "L": "#.... #.... #.... #.... #.... #.... #####",
    "M": "#...# ##.## #.#.# #.#.# #...# #...# #...#", "N": "#...# #...# ##..# #.#.# #..## #...# #...#",
    "O": ".###. #...# #...# #...# #...# #...# .###.", "P": "####. #...# #...# ####. #.... #.... #....",
    "Q": ".###. #...# #...# #...# #.#.# #..#. .##.#", "R": "####. #...# #...# ####. #.#.. #..#. #...#",
    "S": ".#### #.... #.... .###. ....# ....# ####.", "T": "##### ..#.. ..#.. ..#.. ..#.. ..#.. ..#..",
    "U": "#...# #...# #...# #...# #...# #...# .###.", "V": "#...# #...# #...# #...# #...# .#.#. ..#..",
    "W": "#...# #...# #...# #.#.# #.#.# #.#.# .#.#.", "X": "#...# #...# .#.#. ..#.. .#.#. #...# #...#",
    "Y": "#...# #...# .#.#. ..#.. ..#.. ..#.. ..#..", "Z": "##### ....# ...#. ..#.. .#... #.... #####",
    "%": "##..# ##..# ...#. ..#.. .#... #..## #..##", ".": "..... ..... ..... ..... ..... .##.. .##..",
    ",": "..... ..... ..... ..... .##.. ..#.. .#...", "-": "..... ..... ..... .###. ..... ..... .....",
    "/": "....# ....# ...#. ..#.. .#... #.... #....", ":": "..... .##.. .##.. ..... .##.. .##.. .....",
    "+": "..... ..#.. ..#.. ##### ..#.. ..#.. .....", "(": "...#. ..#.. .#... .#... .#... ..#.. ...#.",
    ")": ".#... ..#.. ...#. ...#. ...#. ..#.. .#...", "#": ".#.#. ##### .#.#. .#.#. .#.#. ##### .#.#.",
    " ": "..... ..... ..... ..... ..... ..... .....",
}


def _glyph_columns(ch: str) -> tuple[list[str], int, int]:
    rows = _FONT.get(ch.upper(), _FONT["#"]).split()
    if ch.isdigit():
        return rows, 0, 5
    if ch == " ":
        return rows, 0, 3
    used = [c for c in range(5) if any(row[c] == "#" for row in rows)]
    return rows, used[0], used[-1] + 1


def _hex(color: str) -> bytes:
    color = color.lstrip("#")
    return bytes(int(color[i:i + 2], 16) for i in (0, 2, 4))


class Canvas:
    """An RGB raster with rectangles and 5x7 dot text, written as PNG (zlib + struct only)."""

    def __init__(self, width: int, height: int, background: str = "#ffffff"):
        self.width, self.height = width, height
        self.pixels = bytearray(_hex(background) * (width * height))

    def rect(self, x0: float, y0: float, x1: float, y1: float, color: str) -> None:
        x0, x1 = sorted((int(round(x0)), int(round(x1))))
        y0, y1 = sorted((int(round(y0)), int(round(y1))))
        x0, y0 = max(0, x0), max(0, y0)
        x1, y1 = min(self.width, x1), min(self.height, y1)
        if x1 <= x0 or y1 <= y0:
            return
        run = _hex(color) * (x1 - x0)
        for y in range(y0, y1):
            start = (y * self.width + x0) * 3
            self.pixels[start:start + len(run)] = run

    def text_width(self, text: str, dot: int) -> int:
        widths = [(_glyph_columns(ch)[2] - _glyph_columns(ch)[1]) for ch in text]
        return (sum(widths) + max(0, len(text) - 1)) * dot

    def text(self, x: float, y: float, text: str, color: str, dot: int, anchor: str = "left") -> None:
        """Draw `text` with its top at y; anchor left | center | right at x."""
        width = self.text_width(text, dot)
        x = x - (width / 2 if anchor == "center" else width if anchor == "right" else 0)
        cursor = int(round(x))
        for ch in text:
            rows, first, last = _glyph_columns(ch)
            for r, row in enumerate(rows):
                for c in range(first, last):
                    if row[c] == "#":
                        px, py = cursor + (c - first) * dot, int(round(y)) + r * dot
                        self.rect(px, py, px + dot, py + dot, color)
            cursor += (last - first + 1) * dot

    def png(self) -> bytes:
        stride = self.width * 3
        raw = b"".join(b"\x00" + bytes(self.pixels[y * stride:(y + 1) * stride]) for y in range(self.height))

        def chunk(tag: bytes, data: bytes) -> bytes:
            return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)
        return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def _nice_ceiling(value: float) -> tuple[float, float]:
    """An axis maximum >= value and its tick step (1, 2, 2.5 or 5 x 10^k, about four ticks)."""
    if value <= 0:
        return 4.0, 1.0
    raw = value / 4
    exp = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        step = m * exp
        if step >= raw:
            break
    if step < 1:
        step = 1.0
    top = math.ceil(value / step) * step
    return float(top), float(step)


def column_chart(spec: Mapping[str, Any], scale: int = 2) -> tuple[bytes, int, int]:
    """Vertical (stacked) columns with value labels and a light grid; returns (png, width, height) in
    CSS pixels — the PNG itself has `scale` times as many, for sharp text on high-density screens.

    spec: categories (ASCII labels), series [{values, color}], format "int" | "pct" | "money",
    width, height (CSS px), optional max, show_values, highlight_last.
    """
    width, height = int(spec.get("width", 640)), int(spec.get("height", 220))
    cats = [str(c) for c in spec["categories"]]
    series = spec["series"]
    fmt = spec.get("format", "int")
    s = scale
    canvas = Canvas(width * s, height * s)
    dot = 3 if s >= 2 else 1
    totals = [sum(float(sr["values"][i] or 0) for sr in series) for i in range(len(cats))]
    if fmt == "pct":
        top, step = 1.0, 0.25
    else:
        top, step = _nice_ceiling(float(spec.get("max") or max(totals or [0])))

    def label(v: float) -> str:
        if fmt == "pct":
            return f"{v * 100:.0f}%"
        if fmt == "money":
            return f"{v:.0f}"  # no thousands separator: a 5x7 comma reads like a decimal point
        return f"{v:g}" if v != int(v) else f"{int(v)}"

    ticks = int(round(top / step))
    widest = max(canvas.text_width(label(step * t), dot) for t in range(ticks + 1))
    left, right, top_pad, bottom = widest + 12 * s, 10 * s, 24 * s, 24 * s
    plot_w, plot_h = width * s - left - right, height * s - top_pad - bottom
    y0 = top_pad + plot_h
    for t in range(ticks + 1):
        y = y0 - plot_h * t / ticks
        canvas.rect(left, y - (s // 2), width * s - right, y - (s // 2) + s, "#e5e7eb" if t else "#9ca3af")
        canvas.text(left - 6 * s, y - 3.5 * dot, label(step * t), "#6b7280", dot, "right")
    n = max(1, len(cats))
    band = plot_w / n
    bar = max(s, min(band * 0.64, 46 * s))
    label_w = max([canvas.text_width(c, dot) for c in cats] or [0])
    every = max(1, math.ceil((label_w + 4 * s) / band))
    for i, cat in enumerate(cats):
        cx = left + band * (i + 0.5)
        base = y0
        for sr in series:
            v = float(sr["values"][i] or 0)
            if v <= 0:
                continue
            h = plot_h * min(v, top) / top
            canvas.rect(cx - bar / 2, base - h, cx + bar / 2, base, sr["color"])
            base -= h
        if spec.get("show_values", True) and totals[i] > 0:
            text = label(totals[i])
            if canvas.text_width(text, dot) <= band + 2 * s:
                canvas.text(cx, base - 3 * s - 7 * dot, text, "#374151", dot, "center")
        if i % every == 0 or i == n - 1 and every == 1:
            canvas.text(cx, y0 + 6 * s, cat, "#4b5563", dot, "center")
    return canvas.png(), width, height


# --- rendering -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class InlineImage:
    cid: str  # without the angle brackets
    filename: str
    data: bytes
    mime_type: str = "image/png"


@dataclass(frozen=True)
class Rendered:
    kind: str
    language: str
    subject: str
    text: str
    html: str
    images: tuple[InlineImage, ...] = ()

    @property
    def content_hash(self) -> str:
        h = hashlib.sha256()
        for part in (self.subject, self.text, self.html):
            h.update(part.encode("utf-8") + b"\x00")
        for img in self.images:
            h.update(img.cid.encode() + b"\x00" + img.data)
        return h.hexdigest()


@lru_cache(maxsize=8)
def _labels_cached(path: str, mtime: float) -> dict:
    import yaml

    return yaml.safe_load(Path(path).read_text(encoding="utf-8"))


def labels(lang: str) -> dict:
    path = settings.templates_dir() / "labels.yaml"
    data = _labels_cached(str(path), path.stat().st_mtime)
    return data["en" if lang == "en" else "zh"]


@lru_cache(maxsize=8)
def _environment(root: str, html: bool):
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(
        loader=FileSystemLoader(root), autoescape=html, undefined=StrictUndefined, trim_blocks=True,
        lstrip_blocks=True, keep_trailing_newline=False, extensions=["jinja2.ext.do"],
    )
    env.filters.update(
        money=fmt_money, num=fmt_int, points=fmt_points, pct=fmt_pct, dt=fmt_datetime, short=fmt_short,
        date=fmt_date, mask_phone=mask_phone, oneline=oneline,
    )
    env.globals.update(text_table=text_table, text_fields=text_fields, display_width=display_width)
    return env


def _context(kind: str, view: Mapping[str, Any], lang: str, charts: Mapping[str, Any]) -> dict:
    lab = labels(lang)

    def t(zh: str, en: str) -> str:
        return en if lang == "en" else zh

    def dname(dept: Mapping[str, Any] | None) -> str:
        if not dept:
            return t("（无）", "(none)")
        return (dept.get("name_en") or dept["name"]) if lang == "en" else dept["name"]

    def label(group: str, code: Any) -> str:
        if code is None:
            return "—"
        return str(lab.get(group, {}).get(code, code))

    def weekday(day: dt.date) -> str:
        return lab["weekdays"][db.as_date(day).weekday()]

    def month(value: str) -> str:  # "2026-02"
        y, m = value.split("-")
        return f"{y}年{int(m)}月" if lang != "en" else dt.date(int(y), int(m), 1).strftime("%b %Y")

    def scope(v: Mapping[str, Any]) -> str:
        if v.get("scope_whole", True):
            return t("全公司", "Company-wide")
        return t("、", ", ").join(dname(d) for d in v["departments"])

    return {"v": view, "kind": kind, "lang": lang, "L": lab, "t": t, "dname": dname, "label": label,
            "weekday": weekday, "month": month, "scope": scope, "charts": charts}


def _charts(kind: str, specs: Mapping[str, Any]) -> tuple[dict, list[InlineImage]]:
    charts, images = {}, []
    for name, spec in sorted(specs.items()):
        png, w, h = column_chart(spec)
        cid = f"chart-{name}.{kind.lower()}@complaint-ops"
        images.append(InlineImage(cid, f"{kind.lower()}-{name}.png", png))
        charts[name] = {"src": f"cid:{cid}", "width": w, "height": h}
    return charts, images


def render(kind: str, view: Mapping[str, Any], lang: str) -> Rendered:
    """Subject, text and HTML of one message from its view model (pure apart from reading templates)."""
    if kind not in TEMPLATE_DIRS:
        raise ValueError(f"unknown message kind {kind!r}")
    lang = "en" if lang == "en" else "zh"
    root = str(settings.templates_dir())
    folder = TEMPLATE_DIRS[kind]
    charts, images = _charts(kind, view.get("charts") or {})
    ctx = _context(kind, view, lang, charts)
    subject = _environment(root, False).get_template(f"{folder}/subject.txt").render(ctx).strip()
    check_header("Subject", subject)  # a value with CR/LF must be refused, not folded away
    text = _environment(root, False).get_template(f"{folder}/body.txt").render(ctx)
    html = _environment(root, True).get_template(f"{folder}/body.html").render(ctx | {"subject": subject})
    if len(html.encode("utf-8")) <= INLINE_CSS_LIMIT:  # inlining only grows a page: a larger one keeps <style>
        inlined = inline_css(html)
        if len(inlined.encode("utf-8")) <= INLINE_CSS_LIMIT:
            html = inlined
    return Rendered(kind, lang, subject, _tidy_text(text), html, tuple(images))


def _tidy_text(text: str) -> str:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    out: list[str] = []
    for line in lines:
        if not line and (not out or not out[-1]):
            continue  # at most one blank line in a row
        out.append(line)
    return "\n".join(out).strip("\n") + "\n"


def inline_css(html: str) -> str:
    """Copy the <style> rules into style attributes (for clients that drop <style>). It makes a long
    table about four times larger, so `render` keeps the embedded stylesheet instead when the inlined
    page would pass INLINE_CSS_LIMIT (Gmail clips a message body beyond 102 KB). css-inline (Rust)
    takes milliseconds where premailer took a tenth of a second per digest."""
    import css_inline

    return _INLINER(css_inline).inline(html)


@functools.lru_cache(maxsize=1)
def _INLINER(css_inline):
    return css_inline.CSSInliner(keep_style_tags=False, load_remote_stylesheets=False, keep_at_rules=True)


# --- messages ------------------------------------------------------------------------------------


def mail_domain() -> str:
    domain = os.environ.get("COMPLAINT_OPS_MAIL_DOMAIN") or "complaint-ops.localdomain"
    if not re.fullmatch(r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,250}[A-Za-z0-9])?", domain):
        raise SettingsError(f"COMPLAINT_OPS_MAIL_DOMAIN {domain!r} is not a domain name")
    return domain


def message_id(recipient_id: str, kind: str, period: str, domain: str | None = None) -> str:
    """Deterministic per (recipient, kind, period): every attempt of a row carries the same id."""
    digest = hashlib.sha256(f"{recipient_id}\x00{kind}\x00{period}".encode()).hexdigest()[:24]
    slug = re.sub(r"[^A-Za-z0-9.-]+", "-", f"{kind}.{period}").strip("-.").lower()[:60]
    return f"<{slug}.{digest}@{domain or mail_domain()}>"


@dataclass(frozen=True)
class Sender:
    """Who the messages are from (headers) and the envelope sender (MAIL FROM)."""

    address: str
    name: str = "complaint-ops"
    reply_to: str | None = None
    envelope_from: str | None = None

    def __post_init__(self):
        check_address(self.address, "From address")
        check_header("From name", self.name)
        if self.reply_to:
            check_address(self.reply_to, "Reply-To address")
        if self.envelope_from:
            check_address(self.envelope_from, "envelope sender")

    @property
    def mail_from(self) -> str:
        return self.envelope_from or self.address


def default_sender() -> Sender:
    return Sender(address=os.environ.get("COMPLAINT_OPS_MAIL_FROM") or "complaint-ops@localhost",
                  name=os.environ.get("COMPLAINT_OPS_MAIL_FROM_NAME") or "投诉管理系统 complaint-ops",
                  reply_to=os.environ.get("COMPLAINT_OPS_MAIL_REPLY_TO") or None)


def _address(name: str, address: str, what: str) -> Address:
    check_header(f"{what} name", name or "")
    check_address(address, f"{what} address")
    local, _, domain = address.partition("@")
    return Address(display_name=name or "", username=local, domain=domain)


def build_message(row: Mapping[str, Any], images: Iterable[InlineImage], sender: Sender,
                  date: dt.datetime) -> EmailMessage:
    """The MIME message of an outbox row: multipart/alternative (our text/plain, then text/html with
    its inline images in multipart/related). Any header value with a line break is refused."""
    subject = check_header("Subject", row["subject"])
    mid = check_header("Message-ID", row["message_id"])
    if not re.fullmatch(r"<[^<>@\s]+@[^<>@\s]+>", mid):
        raise HeaderInjection(f"Message-ID {mid!r} is malformed")
    msg = EmailMessage(policy=MAIL_POLICY)
    msg["From"] = _address(sender.name, sender.address, "From")
    msg["To"] = _address(row["recipient_name"], row["recipient_email"], "To")
    if sender.reply_to:
        msg["Reply-To"] = _address("", sender.reply_to, "Reply-To")
    msg["Subject"] = subject
    msg["Date"] = format_datetime(db.as_utc(date))
    msg["Message-ID"] = mid
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to us
    msg["X-Auto-Response-Suppress"] = "All"
    msg["Content-Language"] = "en" if row["language"] == "en" else "zh-CN"
    msg["X-Complaint-Ops"] = check_header("X-Complaint-Ops", f"{row['kind']} {oneline(row['period'])}")
    msg.set_content(row["body_text"], subtype="plain", charset="utf-8")
    msg.add_alternative(row["body_html"], subtype="html", charset="utf-8")
    html_part = msg.get_payload()[1]
    for img in images:
        maintype, subtype = img.mime_type.split("/", 1)
        html_part.add_related(img.data, maintype=maintype, subtype=subtype, cid=f"<{img.cid}>",
                              filename=img.filename, disposition="inline")
    return msg


# --- outbox --------------------------------------------------------------------------------------


def enqueue(conn, *, recipient: Mapping[str, Any], kind: str, period: str, business_date: dt.date,
            rendered: Rendered, state: str, now: dt.datetime) -> int | None:
    """Insert one outbox row (and its images) in the caller's transaction; None when the row for
    (recipient, kind, period) exists already. Header values are checked here, before anything is stored."""
    if state not in ("pending", "archived"):
        raise ValueError(f"a new message is pending or archived, not {state!r}")
    check_header("Subject", rendered.subject)
    check_header("To name", recipient["name"])
    check_address(recipient["email"], f"e-mail of {recipient['id']}")
    row = {
        "recipient_id": recipient["id"], "kind": kind, "period": period, "business_date": business_date,
        "language": rendered.language, "recipient_email": recipient["email"], "recipient_name": recipient["name"],
        "subject": rendered.subject, "body_text": rendered.text, "body_html": rendered.html,
        "message_id": message_id(recipient["id"], kind, period), "content_hash": rendered.content_hash,
        "state": state, "next_attempt_at": now if state == "pending" else None, "created_at": now, "updated_at": now,
    }
    inserted = conn.execute(db.query("outbox_insert"), row).first()
    if inserted is None:
        return None
    outbox_id = inserted[0]
    if rendered.images:
        conn.execute(db.query("outbox_part_insert"), [
            {"outbox_id": outbox_id, "position": i, "content_id": img.cid, "filename": img.filename,
             "mime_type": img.mime_type, "data": img.data} for i, img in enumerate(rendered.images)])
    return outbox_id


def existing(conn, kind: str, period: str) -> dict[str, dict]:
    """Rows already queued for (kind, period), by recipient id."""
    return {r["recipient_id"]: r for r in db.fetch(conn, "outbox_existing", kind=kind, period=period)}


def _by_ids(name: str):
    """A query with `IN :outbox_ids` over integer ids (db.query types `*_ids` lists as text)."""
    from sqlalchemy import Integer, bindparam

    return db.query(name).bindparams(bindparam("outbox_ids", expanding=True, type_=Integer()))


def release(conn, outbox_ids: Sequence[int], now: dt.datetime) -> int:
    """Archived rows -> pending (an explicit request to mail what a backfill archived)."""
    if not outbox_ids:
        return 0
    return conn.execute(_by_ids("outbox_release"), {"outbox_ids": [int(i) for i in outbox_ids], "now_at": now}).rowcount


def retry(engine: Engine, outbox_ids: Sequence[int], now: dt.datetime) -> int:
    """An operator's decision: failed, unknown (checked: not delivered), rejected or archived -> pending."""
    if not outbox_ids:
        return 0
    with db.transaction(engine) as conn:
        return conn.execute(_by_ids("outbox_retry"), {"outbox_ids": [int(i) for i in outbox_ids], "now_at": now}).rowcount


def listing(conn, *, state: str | None = None, kind: str | None = None, date_from: dt.date | None = None,
            date_to: dt.date | None = None) -> list[dict]:
    return db.fetch(conn, "outbox_list", state=state, kind=kind, date_from=date_from or dt.date(1, 1, 1),
                    date_to=date_to or dt.date(9999, 12, 31))


def needing_attention(conn) -> list[dict]:
    """Messages ops must look at: `unknown` (check with the recipient or the server log, then `mail retry`
    only if it did not arrive), `rejected`, and `failed` with no attempt left."""
    return db.fetch(conn, "outbox_attention")


def state_counts(conn) -> dict[str, int]:
    return {r["state"]: int(r["n"]) for r in db.fetch(conn, "outbox_state_counts")}


def get(conn, outbox_id: int) -> dict | None:
    rows = db.fetch(conn, "outbox_get", outbox_id=outbox_id)
    return rows[0] if rows else None


def images_of(conn, outbox_id: int) -> list[InlineImage]:
    return [InlineImage(p["content_id"], p["filename"], bytes(p["data"]), p["mime_type"])
            for p in db.fetch(conn, "outbox_parts", outbox_id=outbox_id)]


def attempts_of(conn, outbox_id: int) -> list[dict]:
    return db.fetch(conn, "outbox_attempts_for", outbox_id=outbox_id)


def backoff(attempts: int) -> dt.timedelta:
    """Delay before attempt `attempts + 1` after `attempts` temporary failures: 5, 15, 45 min, ... 4 h."""
    return min(BACKOFF_BASE * (3 ** max(0, attempts - 1)), BACKOFF_MAX)


# --- settings ------------------------------------------------------------------------------------


def _flag(value: Any, what: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise SettingsError(f"{what}: {value!r} is not true/false")


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    sender: Sender
    login: str | None = None
    password: str | None = field(default=None, repr=False)
    ssl: bool = False  # SMTP over TLS from the first byte (usually port 465)
    starttls: bool = False  # plain connection upgraded with STARTTLS (usually port 587)
    timeout: float = DEFAULT_TIMEOUT
    verify_tls: bool = True
    source: str = ""

    def __post_init__(self):
        check_header("SMTP host", self.host)
        if not self.host:
            raise SettingsError(f"{self.source}: no SMTP host")
        if self.ssl and self.starttls:
            raise SettingsError(f"{self.source}: choose SSL (smtps, port 465) or STARTTLS, not both")
        if self.login is not None:
            check_header("SMTP login", self.login)
            if self.password is None:
                raise SettingsError(f"{self.source}: SMTP login {self.login!r} without a password "
                                    "(the password is never looked up in a keyring or asked for)")
        if not 0 < self.timeout <= 600:
            raise SettingsError(f"{self.source}: timeout {self.timeout} s is out of range (0, 600]")

    def describe(self) -> str:
        mode = "SSL" if self.ssl else "STARTTLS" if self.starttls else "plain"
        who = f"{self.login}@" if self.login else ""
        return f"smtp://{who}{self.host}:{self.port} ({mode}, timeout {self.timeout:g}s) from {self.sender.address}"


@dataclass(frozen=True)
class CaptureSettings:
    directory: Path
    sender: Sender
    source: str = "default"

    def describe(self) -> str:
        return f"local capture to {self.directory} (no mail leaves this machine)"


def _tls_defaults(port: int, ssl_flag: Any, starttls_flag: Any, what: str) -> tuple[bool, bool]:
    use_ssl = _flag(ssl_flag, f"{what} ssl") if ssl_flag is not None else port == 465
    use_starttls = _flag(starttls_flag, f"{what} starttls") if starttls_flag is not None else (not use_ssl and port == 587)
    return use_ssl, use_starttls


def _sender_from(options: Mapping[str, Any], fallback_login: str | None, what: str) -> Sender:
    base = default_sender()
    address = options.get("from") or options.get("from_email") or (
        fallback_login if fallback_login and "@" in fallback_login and not os.environ.get("COMPLAINT_OPS_MAIL_FROM")
        else base.address)
    try:
        return Sender(address=address, name=options.get("from_name") or base.name,
                      reply_to=options.get("reply_to") or base.reply_to,
                      envelope_from=options.get("envelope_from") or None)
    except MailError as exc:
        raise SettingsError(f"{what}: {exc}") from None


def parse_smtp_url(url: str, source: str = "COMPLAINT_OPS_SMTP_URL") -> SmtpSettings | CaptureSettings:
    """smtp://[user[:password]@]host[:port][?starttls=1&ssl=0&from=a@b&from_name=..&timeout=30&verify=1],
    smtps://... (SSL, port 465), or capture:[/directory]. User and password are percent-decoded.
    No error quotes the URL: it may hold the password."""
    if _LINE_BREAKS.search(url):
        raise HeaderInjection(f"{source} contains a line break (CR/LF): refused")
    parts = urlsplit(url)
    options = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    if parts.scheme == "capture":
        directory = Path(unquote(parts.path)) if parts.path else settings.var_dir() / "outbox"
        return CaptureSettings(directory, _sender_from(options, None, source), source)
    if parts.scheme not in ("smtp", "smtps"):
        raise SettingsError(f"{source}: scheme {parts.scheme!r}: use smtp://, smtps:// or capture:")
    try:
        port = parts.port or (465 if parts.scheme == "smtps" else 25)
    except ValueError as exc:
        raise SettingsError(f"{source}: {exc}") from None
    ssl_flag = options.get("ssl", True if parts.scheme == "smtps" else None)
    use_ssl, use_starttls = _tls_defaults(port, ssl_flag, options.get("starttls"), source)
    login = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    try:
        timeout = float(options.get("timeout") or DEFAULT_TIMEOUT)
    except ValueError:
        raise SettingsError(f"{source}: timeout {options.get('timeout')!r} is not a number") from None
    return SmtpSettings(host=parts.hostname or "", port=port, sender=_sender_from(options, login, source),
                        login=login, password=password, ssl=use_ssl, starttls=use_starttls, timeout=timeout,
                        verify_tls=_flag(options.get("verify", True), f"{source} verify"), source=source)


def settings_from_connection(conn: Any, conn_id: str = CONN_ID) -> SmtpSettings:
    """An Airflow Connection: host, port, login, password; extra {from_email, from_name, reply_to, ssl,
    starttls, timeout, verify_tls} (the SMTP provider's disable_ssl/disable_tls are understood too).
    Without flags: SSL on port 465, STARTTLS on 587, plain otherwise (Mailpit on 1025)."""
    what = f"Airflow Connection {conn_id!r}"
    extra = dict(getattr(conn, "extra_dejson", None) or {})
    port = int(conn.port or 25)
    ssl_flag = extra.get("ssl")
    if ssl_flag is None and "disable_ssl" in extra:
        ssl_flag = not _flag(extra["disable_ssl"], f"{what} disable_ssl")
    starttls_flag = extra.get("starttls")
    if starttls_flag is None and "disable_tls" in extra:
        starttls_flag = not _flag(extra["disable_tls"], f"{what} disable_tls") and not (ssl_flag and _flag(ssl_flag, what))
    use_ssl, use_starttls = _tls_defaults(port, ssl_flag, starttls_flag, what)
    try:
        timeout = float(extra.get("timeout") or DEFAULT_TIMEOUT)
    except ValueError:
        raise SettingsError(f"{what}: timeout {extra.get('timeout')!r} is not a number") from None
    return SmtpSettings(host=conn.host or "", port=port, sender=_sender_from(extra, conn.login, what),
                        login=conn.login or None, password=conn.password if conn.login else None, ssl=use_ssl,
                        starttls=use_starttls, timeout=timeout,
                        verify_tls=_flag(extra.get("verify_tls", True), f"{what} verify_tls"), source=what)


def _mask_in_task_logs(secret: str) -> None:
    """Inside Airflow, have its secrets masker redact `secret` from every task log line. Airflow does
    this itself for Connection passwords; a password from the environment is ours to register."""
    if "airflow" not in sys.modules:
        return
    try:
        from airflow.sdk.log import mask_secret
    except ImportError:  # pragma: no cover - an older or newer layout: nothing logs the password anyway
        return
    mask_secret(secret)


def _airflow_connection(conn_id: str):
    """The Connection, or None when Airflow is not in use here or it is not defined. Outside an Airflow
    process it is looked up only when AIRFLOW_CONN_<ID> is set (importing Airflow takes seconds)."""
    env_name = f"AIRFLOW_CONN_{conn_id.upper()}"
    if "airflow" not in sys.modules and not os.environ.get(env_name):
        return None
    try:
        from airflow.sdk import BaseHook
    except ImportError:
        return None
    try:
        return BaseHook.get_connection(conn_id)
    except Exception as exc:  # AirflowNotFoundException; its module moved between versions
        if type(exc).__name__ == "AirflowNotFoundException":
            return None
        raise


def smtp_settings(conn_id: str = CONN_ID) -> SmtpSettings | CaptureSettings:
    """COMPLAINT_OPS_SMTP_URL, else the Airflow Connection `complaints_smtp`, else the local capture."""
    url = os.environ.get("COMPLAINT_OPS_SMTP_URL")
    if url:
        config = parse_smtp_url(url)
        if isinstance(config, SmtpSettings) and config.password:
            _mask_in_task_logs(config.password)
        return config
    conn = _airflow_connection(conn_id)
    if conn is not None:
        return settings_from_connection(conn, conn_id)
    return CaptureSettings(settings.var_dir() / "outbox", default_sender(), "default (no SMTP configured)")


# --- transports ----------------------------------------------------------------------------------


class _TrackingMixin:
    """smtplib connection that knows whether the message data went out, and never lets a disconnect
    surface as SMTPServerDisconnected from sendmail (which yagmail would retry)."""

    co_payload_sent = False
    _co_in_data = False

    def data(self, msg):
        self._co_in_data = True
        try:
            return super().data(msg)
        finally:
            self._co_in_data = False

    def send(self, s):
        super().send(s)
        if self._co_in_data and isinstance(s, (bytes, bytearray)):  # the payload (commands are str)
            self.co_payload_sent = True

    def sendmail(self, from_addr, to_addrs, msg, mail_options=(), rcpt_options=()):
        self.co_payload_sent = False
        try:
            return super().sendmail(from_addr, to_addrs, msg, mail_options, rcpt_options)
        except smtplib.SMTPServerDisconnected as exc:
            if self.co_payload_sent:
                raise DeliveryUnknown(f"connection lost after the message data was sent: {exc}") from exc
            raise ConnectionLost(f"connection lost before the message data was sent: {exc}") from exc


class _TrackingSMTP(_TrackingMixin, smtplib.SMTP):
    pass


class _TrackingSMTP_SSL(_TrackingMixin, smtplib.SMTP_SSL):
    pass


@lru_cache(maxsize=1)
def yagmail_client_class():
    """yagmail.SMTP with our connection classes, no keyring/prompt, and a login separate from MAIL FROM."""
    import yagmail

    class SafeYagmail(yagmail.SMTP):
        login_name: str | None = None

        @property
        def connection(self):
            return _TrackingSMTP_SSL if self.ssl else _TrackingSMTP

        @staticmethod
        def handle_password(user, password):
            if password is None:
                raise SettingsError(f"no SMTP password for {user!r}: never read from a keyring or a prompt")
            return password

        def login(self):
            envelope, self.user = self.user, self.login_name or self.user
            try:
                super().login()
            finally:
                self.user = envelope

    return SafeYagmail


class SmtpTransport:
    """Sends through yagmail over SMTP; one connection per pass, reopened after a drop."""

    def __init__(self, config: SmtpSettings):
        self.config = config
        self.sender = config.sender
        self.name = f"smtp://{config.host}:{config.port}"
        self._client = None
        self.payload_sent = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def _connect(self) -> None:
        c = self.config
        context = ssl.create_default_context()
        if not c.verify_tls:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        kwargs: dict[str, Any] = {"timeout": c.timeout}
        if c.ssl:
            kwargs["context"] = context
        client = yagmail_client_class()(
            user={c.sender.mail_from: c.sender.mail_from}, password=c.password if c.login else None,
            host=c.host, port=c.port, smtp_ssl=c.ssl, smtp_starttls={"context": context} if c.starttls else False,
            smtp_skip_login=not c.login, soft_email_validation=False, **kwargs)
        client.set_logging(None)  # no stderr handler of its own: we log every attempt
        client.login_name = c.login
        try:
            client.login()
        except SettingsError:
            raise
        except (smtplib.SMTPException, OSError) as exc:
            client.is_closed = True
            raise ConnectFailure(f"cannot connect to or log in at {self.name}: {exc}",
                                 getattr(exc, "smtp_code", None)) from exc
        self._client = client

    def deliver(self, message: EmailMessage, recipient: str, row: Mapping[str, Any]) -> str:
        """One attempt; returns the server's answer, or raises a DeliveryError / DeliveryUnknown."""
        self.payload_sent = False
        if self._client is None or getattr(self._client.smtp, "sock", None) is None:
            self._client = None
            self._connect()
        smtp = self._client.smtp
        try:
            result = self._client._attempt_send([recipient], message.as_string())
        except DeliveryUnknown:
            self._client = None
            raise
        except ConnectionLost as exc:
            self._client = None
            raise TemporaryFailure(str(exc)) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            raise _refusal(exc.recipients) from exc
        except smtplib.SMTPResponseException as exc:  # SMTPDataError (451, 554), SMTPSenderRefused, ...
            detail = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
            if exc.smtp_code == 421:
                self._client = None
            if exc.smtp_code >= 500:
                raise PermanentFailure(f"{exc.smtp_code} {detail}", exc.smtp_code) from exc
            raise TemporaryFailure(f"{exc.smtp_code} {detail}", exc.smtp_code) from exc
        except (smtplib.SMTPException, OSError) as exc:
            self._client = None
            if getattr(smtp, "co_payload_sent", False):
                raise DeliveryUnknown(f"error after the message data was sent: {exc}") from exc
            raise TemporaryFailure(f"{type(exc).__name__}: {exc}") from exc
        finally:
            self.payload_sent = getattr(smtp, "co_payload_sent", False)
        return check_send_result(result, recipient)

    def close(self) -> None:
        if self._client is not None:
            try:
                self._client.close()
            except Exception:  # closing a dead connection
                pass
            self._client = None


def check_send_result(result: Any, recipient: str) -> str:
    """yagmail returns smtplib's dict of refused recipients ({} = accepted by all) or False (gave up):
    only an empty dict is success."""
    if result is False or result is None:
        raise TemporaryFailure("yagmail reported the message as not sent (False)")
    if isinstance(result, dict) and result:
        raise _refusal(result)
    if not isinstance(result, dict):
        raise TemporaryFailure(f"unexpected result from yagmail: {result!r}")
    return f"accepted for {recipient}"


def _refusal(refused: Mapping[str, Any]) -> DeliveryError:
    parts, codes = [], []
    for address, answer in refused.items():
        code, text = (answer if isinstance(answer, tuple) else (None, answer))
        text = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
        codes.append(code or 0)
        parts.append(f"{address}: {code} {text}")
    detail = "recipient refused: " + "; ".join(parts)
    if codes and all(c >= 500 for c in codes):
        return PermanentFailure(detail, max(codes))
    return TemporaryFailure(detail, max(codes) if codes else None)


class CaptureTransport:
    """The embedded default: each message as var/outbox/<date>/<id>-<kind>-<recipient>.eml, and an .html
    with the images inlined to open in a browser. Nothing leaves the machine."""

    def __init__(self, config: CaptureSettings):
        self.config = config
        self.sender = config.sender
        self.name = f"capture:{config.directory}"
        self.payload_sent = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def deliver(self, message: EmailMessage, recipient: str, row: Mapping[str, Any]) -> str:
        folder = self.config.directory / fmt_date(row["business_date"])
        folder.mkdir(parents=True, exist_ok=True)
        base = folder / f"{int(row['id']):06d}-{row['kind']}-{re.sub(r'[^A-Za-z0-9_.-]', '_', row['recipient_id'])}"
        base.with_suffix(".eml").write_bytes(message.as_bytes())
        base.with_suffix(".html").write_text(preview_html(message), encoding="utf-8")
        return f"captured as {base}.eml"

    def close(self) -> None:
        pass


def preview_html(message: EmailMessage) -> str:
    """The HTML part with its cid: images as data: URIs, below a header box: one file a browser opens."""
    import html as _html

    body = message.get_body(("html",))
    text = body.get_content() if body is not None else "<pre>" + _html.escape(message.get_body(("plain",)).get_content()) + "</pre>"
    for part in message.walk():
        cid = part.get("Content-ID")
        if cid and part.get_content_maintype() == "image":
            data = base64.b64encode(part.get_payload(decode=True)).decode()
            text = text.replace(f"cid:{cid.strip('<>')}", f"data:{part.get_content_type()};base64,{data}")
    head = "".join(
        f"<div><b>{name}:</b> {_html.escape(str(message.get(name, '')))}</div>"
        for name in ("From", "To", "Subject", "Date", "Message-ID"))
    banner = ('<div style="font:12px/1.5 monospace;background:#fffbe6;border-bottom:1px solid #e5d88a;'
              f'padding:8px 12px;color:#444">{head}</div>')
    return re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + banner, text, count=1) if "<body" in text else banner + text


def transport_for(config: SmtpSettings | CaptureSettings):
    return SmtpTransport(config) if isinstance(config, SmtpSettings) else CaptureTransport(config)


# --- the sender ----------------------------------------------------------------------------------


def _claim(engine: Engine, now: dt.datetime, outbox_id: int | None = None) -> dict | None:
    """Claim the next due row (or that one row) for one attempt: committed before anything is sent."""
    token = str(uuid.uuid4())
    with db.transaction(engine) as conn:
        if outbox_id is not None:
            claimed = db.execute(conn, "outbox_claim_id", outbox_id=outbox_id, claim_token=token, now_at=now)
        else:
            name = "outbox_claim_pg" if conn.dialect.name == "postgresql" else "outbox_claim"
            claimed = db.execute(conn, name, claim_token=token, now_at=now)
        if not claimed:
            return None
        rows = db.fetch(conn, "outbox_claimed", claim_token=token)
        if not rows:
            return None
        row = rows[0]
        row["images"] = images_of(conn, row["id"])
        return row


def _record(engine: Engine, row: Mapping[str, Any], state: str, *, now: dt.datetime, started: dt.datetime,
            code: int | None, detail: str, transport: str) -> None:
    attempts = int(row["attempts"])
    next_at = None
    if state == "failed" and attempts < MAX_ATTEMPTS:
        next_at = now + backoff(attempts)
    elif state == "failed":
        detail = f"{detail} (gave up after {attempts} attempts: `complaint-ops mail retry {row['id']}` to try again)"
    with db.transaction(engine) as conn:
        db.execute(conn, "outbox_finish", outbox_id=row["id"], claim_token=row["claim_token"], state=state,
                   next_attempt_at=next_at, sent_at=now if state == "sent" else None, last_code=code,
                   last_error=None if state == "sent" else detail[:2000], updated_at=now)
        db.execute(conn, "outbox_attempt_insert", outbox_id=row["id"], attempt=attempts, started_at=started,
                   finished_at=now, outcome=state, smtp_code=code, detail=detail[:2000], transport=transport[:200])


def recover_stale(engine: Engine, now: dt.datetime) -> int:
    """`sending` rows whose sender died mid-attempt: the message may have gone out, so they become
    `unknown` (reported, never resent automatically)."""
    with db.transaction(engine) as conn:
        stale = db.fetch(conn, "outbox_stale_claims", stale_before_at=now - STALE_CLAIM)
        for row in stale:
            detail = f"the sender stopped during the attempt claimed at {fmt_datetime(row['claimed_at'])}: delivery unknown"
            if db.execute(conn, "outbox_finish", outbox_id=row["id"], claim_token=row["claim_token"], state="unknown",
                          next_attempt_at=None, sent_at=None, last_code=None, last_error=detail, updated_at=now):
                db.execute(conn, "outbox_attempt_insert", outbox_id=row["id"], attempt=row["attempts"],
                           started_at=row["claimed_at"], finished_at=now, outcome="unknown", smtp_code=None,
                           detail=detail, transport="-")
                log.error("mail %s to %s: %s", row["id"], row["recipient_email"], detail)
    return len(stale)


def drain(engine: Engine, *, now: dt.datetime, limit: int | None = None, transport=None) -> dict:
    """One pass of the sender: every due pending/failed row (up to `limit`) gets exactly one attempt.
    Returns counts per resulting state (sent, failed, unknown, rejected) and `recovered` (stale claims
    turned unknown). `transport`: an SmtpTransport/CaptureTransport, or settings, or None (configured)."""
    counts: Counter = Counter()
    recovered = recover_stale(engine, now)
    if recovered:
        counts["unknown"] += recovered
        counts["recovered"] = recovered
    if transport is None:
        transport = transport_for(smtp_settings())
    elif isinstance(transport, (SmtpSettings, CaptureSettings)):
        transport = transport_for(transport)
    sent_in_pass: set[int] = set()
    with transport:
        while limit is None or sum(counts[s] for s in ("sent", "failed", "unknown", "rejected")) - recovered < limit:
            row = _claim(engine, now)
            if row is None:
                break
            if row["id"] in sent_in_pass:  # cannot happen (failed rows wait for their backoff): be sure
                _record(engine, row, "failed", now=now, started=now, code=None, detail="already attempted in this pass",
                        transport=transport.name)
                break
            sent_in_pass.add(row["id"])
            state, code, detail, stop = _attempt(transport, row, now)
            _record(engine, row, state, now=now, started=now, code=code, detail=detail, transport=transport.name)
            counts[state] += 1
            level = logging.INFO if state == "sent" else logging.ERROR if state == "unknown" else logging.WARNING
            log.log(level, "mail %s %s %s to %s: %s — %s", row["id"], row["kind"], row["period"],
                    row["recipient_email"], state, detail)
            if stop:  # the server is unreachable or refuses our login: the next pass tries again
                break
    return {k: v for k, v in counts.items()}


def _attempt(transport, row: Mapping[str, Any], now: dt.datetime) -> tuple[str, int | None, str, bool]:
    """One attempt: (resulting state, SMTP code, detail, whether to end the pass)."""
    try:
        message = build_message(row, row["images"], transport.sender, now)
    except (HeaderInjection, InvalidAddress) as exc:
        return "rejected", None, f"refused before sending: {exc}", False
    try:
        return "sent", 250, transport.deliver(message, row["recipient_email"], row), False
    except DeliveryUnknown as exc:
        return "unknown", None, str(exc), False
    except PermanentFailure as exc:
        return "rejected", exc.code, str(exc), False
    except ConnectFailure as exc:
        return "failed", exc.code, str(exc), True
    except TemporaryFailure as exc:
        return "failed", exc.code, str(exc), False
    except SettingsError as exc:
        return "failed", None, f"SMTP settings: {exc}", True
    except Exception as exc:  # a bug or an unexpected library error: never sent twice if data went out
        log.exception("mail %s: unexpected error", row["id"])
        if getattr(transport, "payload_sent", False):
            return "unknown", None, f"{type(exc).__name__} after the message data was sent: {exc}", False
        return "failed", None, f"{type(exc).__name__}: {exc}", False


def send_now(engine: Engine, outbox_ids: Sequence[int], *, now: dt.datetime, transport=None) -> dict:
    """Attempt these rows once each, now, if they are due (a notice that should not wait for the next
    pass). Counts per resulting state, like `drain`."""
    counts: Counter = Counter()
    if transport is None:
        transport = transport_for(smtp_settings())
    elif isinstance(transport, (SmtpSettings, CaptureSettings)):
        transport = transport_for(transport)
    with transport:
        for outbox_id in outbox_ids:
            row = _claim(engine, now, int(outbox_id))
            if row is None:  # sent already, or being sent by a drain right now
                continue
            state, code, detail, stop = _attempt(transport, row, now)
            _record(engine, row, state, now=now, started=now, code=code, detail=detail, transport=transport.name)
            counts[state] += 1
            if stop:
                break
    return dict(counts)


def send_ops(engine: Engine, *, subject: str, body: str, key: str, recipients: Sequence[str], now: dt.datetime,
             transport=None) -> dict:
    """A notice to the operations team (complaint_ops.ops): one outbox row per address, unique per `key`
    (the same failure reported twice is mailed once), then one attempt at once; what fails stays in
    the outbox for the next pass. Returns counts per resulting state (`queued` when new rows were made)."""
    day = now.astimezone(settings.business_timezone()).date()
    rendered = render(OPS, {"kind": OPS, "subject": oneline(subject, 250), "body": body, "key": key, "at": now}, "en")
    ids = []
    with db.transaction(engine) as conn:
        for address in recipients:
            check_address(address, "ops address")
            outbox_id = enqueue(conn, recipient={"id": f"ops:{address}", "name": "complaint-ops operations",
                                                 "email": address}, kind=OPS, period=key[:255], business_date=day,
                                rendered=rendered, state="pending", now=now)
            if outbox_id is not None:
                ids.append(outbox_id)
    if not ids:
        return {}
    return {"queued": len(ids), **send_now(engine, ids, now=now, transport=transport)}


def due(conn, now: dt.datetime, limit: int | None = None) -> list[dict]:
    """What a pass would attempt now (`mail send --no-send`)."""
    rows = db.fetch(conn, "outbox_due", now_at=now)
    return rows[:limit] if limit else rows


def alerts_now(engine: Engine, *, now: dt.datetime, book=None, send: bool = True) -> dict:
    """A1 at once, for a frequent DAG: raise the alerts of complaints received since the previous working
    day (idempotent, the daily run raises the same rows) and queue a message for every alert row of that
    period not queued yet. Returns counts like `digests.queue_for_day`; then call `drain`."""
    from complaint_ops import alerts, business_calendar, digests
    from complaint_ops.policy import load_policy

    book = book or load_policy()
    day = now.astimezone(settings.business_timezone()).date()
    with db.transaction(engine) as conn:
        calendar = business_calendar.load(conn)
        prev = calendar.previous_working_day(day)
        alerts.raise_for_period(conn, prev, day, book, now)
        return digests.queue_alerts(conn, day, now=now, send=send, book=book, calendar=calendar, since=prev)


def json_safe(value: Any) -> Any:
    """View models as JSON (for `mail render --json` and tests)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if dataclasses.is_dataclass(value):
        return json_safe(dataclasses.asdict(value))
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [json_safe(v) for v in value]
    return value


def dumps(value: Any) -> str:
    return json.dumps(json_safe(value), ensure_ascii=False, indent=2)
