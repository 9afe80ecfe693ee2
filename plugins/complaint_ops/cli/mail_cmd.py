"""`complaint-ops mail ...`: the mail outbox (POLICY.md §8 D1-D4, A1).

    mail queue --date D [--kinds D1 D2 ...] [--no-send]   render and queue what date D sends
    mail send [--limit N] [--no-send]                     one pass of the sender (--no-send: show what is due)
    mail list [--state S] [--kind K] [--from D --to D]    the outbox (--attention: unknown, rejected, given up)
    mail show ID                                          one message: headers, text, attempts
    mail retry ID...                                      failed / unknown / rejected / archived -> pending
    mail render --kind K --to STAFF --date D --out DIR    preview one message as .eml/.html/.txt, queue nothing
    mail settings                                         which SMTP server (or local capture) is used

`mail queue` is an explicit request: messages a backfill archived for that date become pending.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from pathlib import Path

from complaint_ops import db, digests, mail
from complaint_ops.cli import CommandError
from complaint_ops.cli._common import emit, engine_for, parse_date


def register(sub) -> None:
    p = sub.add_parser("mail", help="reports and alerts by mail: queue, send, list, preview")
    msub = p.add_subparsers(dest="mail_command", required=True)

    q = msub.add_parser("queue", help="render and queue the mail of a business date (D1-D4, A1)")
    q.add_argument("--date", type=parse_date, required=True)
    q.add_argument("--kinds", nargs="+", choices=mail.KINDS, metavar="KIND", help="only these kinds (D1 D2 D3 D4 A1)")
    q.add_argument("--no-send", action="store_true", help="store them archived: never mailed (as a backfill does)")
    q.set_defaults(func=_queue)

    s = msub.add_parser("send", help="one pass of the sender: every due message gets one attempt")
    s.add_argument("--limit", type=int, help="at most this many messages")
    s.add_argument("--no-send", action="store_true", help="only list what is due, send nothing")
    s.set_defaults(func=_send)

    ls = msub.add_parser("list", help="list the outbox")
    ls.add_argument("--state", choices=mail.STATES)
    ls.add_argument("--kind", choices=mail.ALL_KINDS)
    ls.add_argument("--from", dest="date_from", type=parse_date)
    ls.add_argument("--to", dest="date_to", type=parse_date)
    ls.add_argument("--attention", action="store_true",
                    help="only what ops must look at: unknown, rejected, failed with no attempt left (exit 1 if any)")
    ls.add_argument("--format", choices=("table", "csv", "json"), default="table")
    ls.set_defaults(func=_list)

    sh = msub.add_parser("show", help="one message: headers, plain text, delivery attempts")
    sh.add_argument("id", type=int)
    sh.add_argument("--html", action="store_true", help="print the HTML part instead of the text")
    sh.set_defaults(func=_show)

    r = msub.add_parser("retry", help="try messages again (after checking an `unknown` one was not delivered)")
    r.add_argument("ids", type=int, nargs="+", metavar="ID")
    r.set_defaults(func=_retry)

    rd = msub.add_parser("render", help="preview a message as files (.eml, .html, .txt); queues nothing")
    rd.add_argument("--kind", choices=mail.KINDS, required=True)
    rd.add_argument("--to", dest="staff", required=True, help="staff id of the recipient")
    rd.add_argument("--date", type=parse_date, required=True,
                    help="business date (D2/D3: the month before it; D4: the six months before)")
    rd.add_argument("--out", type=Path, required=True, help="directory for the files")
    rd.add_argument("--lang", choices=("zh", "en"), help="override the recipient's language")
    rd.set_defaults(func=_render)

    st = msub.add_parser("settings", help="show the SMTP server or local capture in use (never the password)")
    st.set_defaults(func=_settings)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _queue(args) -> int:
    engine = engine_for(args)
    with db.transaction(engine) as conn:
        counts = digests.queue_for_day(conn, args.date, now=_now(), send=not args.no_send, kinds=args.kinds,
                                       release_archived=not args.no_send)
    queued = ", ".join(f"{k} {counts.get(k, 0)}" for k in mail.KINDS if not args.kinds or k in args.kinds)
    state = "archived (never sent)" if args.no_send else "pending"
    print(f"{args.date}: queued {queued} ({state})")
    extra = {k: v for k, v in counts.items() if k not in mail.KINDS and v}
    if extra:
        print("  " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in sorted(extra.items())))
    if counts.get("refused"):
        print("  some messages were refused (see the log above): fix the staff data and queue again", file=sys.stderr)
        return 1
    return 0


def _send(args) -> int:
    engine = engine_for(args)
    now = _now()
    if args.no_send:
        with engine.connect() as conn:
            rows = mail.due(conn, now, args.limit)
        emit(rows, "table", ["id", "business_date", "kind", "period", "recipient_id", "recipient_email", "state",
                             "attempts", "subject"])
        print(f"{len(rows)} due; nothing sent (--no-send)")
        return 0
    config = mail.smtp_settings()
    print(f"sending through {config.describe()}", file=sys.stderr)
    counts = mail.drain(engine, now=now, limit=args.limit, transport=mail.transport_for(config))
    print(", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "nothing due")
    if counts.get("unknown"):
        print("messages in state `unknown` may have been delivered: check with the recipient or the mail server log, "
              "then `complaint-ops mail retry ID` only if they were not", file=sys.stderr)
    return 1 if counts.get("unknown") or counts.get("rejected") else 0


def _list(args) -> int:
    engine = engine_for(args)
    with engine.connect() as conn:
        if args.attention:
            rows = mail.needing_attention(conn)
        else:
            rows = mail.listing(conn, state=args.state, kind=args.kind, date_from=args.date_from, date_to=args.date_to)
    for r in rows:
        r["last_error"] = mail.oneline(r["last_error"] or "", 60)
        r["subject"] = mail.oneline(r["subject"], 60) if args.format == "table" else r["subject"]
    emit(rows, args.format, ["id", "business_date", "kind", "period", "recipient_id", "recipient_email", "state",
                             "attempts", "next_attempt_at", "sent_at", "last_code", "last_error", "subject"])
    return 1 if args.attention and rows else 0


def _show(args) -> int:
    engine = engine_for(args)
    with engine.connect() as conn:
        row = mail.get(conn, args.id)
        if row is None:
            raise CommandError(f"no message {args.id} in the outbox")
        attempts = mail.attempts_of(conn, args.id)
    for name in ("id", "kind", "period", "business_date", "state", "recipient_name", "recipient_email",
                 "message_id", "subject", "attempts", "next_attempt_at", "sent_at", "last_code", "last_error"):
        print(f"{name:16} {row[name] if row[name] is not None else ''}")
    print()
    print(row["body_html"] if args.html else row["body_text"])
    if attempts:
        print("attempts:")
        for a in attempts:
            print(f"  #{a['attempt']} {a['finished_at']:%Y-%m-%d %H:%M:%S} {a['outcome']:8} {a['smtp_code'] or '':>3} "
                  f"{a['transport']}: {a['detail']}")
    return 0


def _retry(args) -> int:
    engine = engine_for(args)
    n = mail.retry(engine, args.ids, _now())
    print(f"{n} of {len(args.ids)} messages are pending again")
    return 0 if n == len(args.ids) else 1


def _render(args) -> int:
    engine = engine_for(args)
    with engine.connect() as conn:
        messages = digests.preview(conn, args.kind, args.staff, args.date)
        org = digests.Org.load(conn)
    if not messages:
        print(f"no {args.kind} message for {args.staff} on {args.date}")
        return 1
    staff = org.staff[args.staff]
    args.out.mkdir(parents=True, exist_ok=True)
    for period, view, rendered in messages:
        if args.lang:
            rendered = mail.render(args.kind, view, args.lang)
        row = {"subject": rendered.subject, "message_id": mail.message_id(staff["id"], args.kind, period),
               "recipient_name": staff["name"], "recipient_email": staff["email"] or "nobody@invalid.example",
               "language": rendered.language, "kind": args.kind, "period": period, "body_text": rendered.text,
               "body_html": rendered.html}
        message = mail.build_message(row, rendered.images, mail.default_sender(), _now())
        base = args.out / re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{args.kind}-{args.staff}-{period}-{rendered.language}")
        base.with_suffix(".eml").write_bytes(message.as_bytes())
        base.with_suffix(".html").write_text(mail.preview_html(message), encoding="utf-8")
        base.with_suffix(".txt").write_text(f"Subject: {rendered.subject}\n\n{rendered.text}", encoding="utf-8")
        print(f"{base}.html  ({rendered.subject})")
    return 0


def _settings(args) -> int:
    config = mail.smtp_settings()
    print(f"{config.describe()}  [{config.source}]")
    return 0
