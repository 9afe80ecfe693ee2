#!/usr/bin/env python3
"""Render every kind of message (D1-D4, A1; Chinese and English) to PNG with headless Chromium, so the
layout can be checked by eye: `make mail-png` (or `python scripts/render_mail_png.py`).

Reads the complaint database (`--db`, else $COMPLAINT_OPS_DB, else var/complaints.db — `make demo` builds
one); a SQLite file is copied first, so the original is never touched. Picks dates the data covers: the
last working day run (D1), the first working day of that month (D2, D3: the month before), the June or
December review whose half-year overlaps the data most (D4), the day of the latest alert (A1). Writes
`<out>/<kind>-<who>-<lang>.png`, the text part next to it as `.txt`, and `<out>/README.md` (an index).

Needs Debian's `chromium` (apt-get install chromium fonts-noto-cjk); --chromium names another binary.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "plugins"))

from sqlalchemy import text  # noqa: E402

from complaint_ops import business_calendar, db, digests, mail, settings  # noqa: E402

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars", "--force-device-scale-factor=1"]
WIDTH = 1000
MEASURE = ("<script>window.addEventListener('load', function () {"
           "document.body.setAttribute('data-page-height', String(document.documentElement.scrollHeight));});"
           "</script>")


def find_chromium(explicit: str | None) -> str:
    for name in [explicit] if explicit else ["chromium", "chromium-browser", "google-chrome", "chrome"]:
        path = shutil.which(name) if name else None
        if path:
            return path
    sys.exit("render_mail_png: no Chromium found: `apt-get install chromium fonts-noto-cjk` or pass --chromium PATH")


def open_database(url: str | None, workdir: Path):
    url = db.normalize_url(settings.database_url(url))
    if url.startswith("sqlite:///"):
        source = Path(url[len("sqlite:///"):])
        if not source.exists():
            sys.exit(f"render_mail_png: {source} does not exist: run `make demo` first (or pass --db)")
        copy = workdir / "complaints.db"
        shutil.copyfile(source, copy)
        engine = db.make_engine(f"sqlite:///{copy}")
        db.upgrade(engine)
        return engine
    engine = db.make_engine(url)
    db.require_migrated(engine)
    return engine


def pick_dates(conn, calendar) -> dict[str, dt.date]:
    last_run = conn.execute(text("SELECT MAX(business_date) FROM day_runs")).scalar()
    if last_run is None:
        sys.exit("render_mail_png: no daily run in this database: run `make demo` first")
    last_run = db.as_date(last_run)
    d1 = last_run if calendar.is_working(last_run) else digests.previous_working_day(calendar, last_run)
    monthly = digests.first_working_day(calendar, d1.replace(day=1), d1.replace(day=28)) or d1
    first_complaint = db.as_date(conn.execute(text("SELECT MIN(received_date) FROM complaints")).scalar() or d1)
    best, best_overlap = None, -1
    for year in range(first_complaint.year, d1.year + 2):
        for month in (6, 12):
            review = digests.first_working_day(calendar, dt.date(year, month, 1), dt.date(year, month, 10))
            if review is None:
                continue
            first, last = digests.previous_half_year(review)
            overlap = (min(last, d1) - max(first, first_complaint)).days
            if overlap > best_overlap:
                best, best_overlap = review, overlap
    alert_day = conn.execute(text("SELECT MAX(business_date) FROM alerts")).scalar()
    a1 = calendar.working_day_on_or_after(db.as_date(alert_day)) if alert_day else d1
    return {"D1": d1, "D2": monthly, "D3": monthly, "D4": best or monthly, "A1": a1}


def people(org: digests.Org) -> dict[str, str]:
    staff = sorted(org.staff.values(), key=lambda s: s["id"])
    gm = next(s["id"] for s in staff if s["role"] == "general_manager" and s["active"])
    heads = [s for s in org.managers() if s["role"] == "department_head"]
    head = next((s["id"] for s in heads if s["language"] == "en"), heads[0]["id"] if heads else gm)
    cm = next((s["id"] for s in staff if s["role"] == "company_manager" and s["active"]), gm)
    return {"gm": gm, "head": head, "cm": cm}


def inline_images(html: str, rendered: mail.Rendered) -> str:
    for img in rendered.images:
        html = html.replace(f"cid:{img.cid}", f"data:{img.mime_type};base64,{base64.b64encode(img.data).decode()}")
    return html


def chromium(binary: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args], capture_output=True,
                          text=True, timeout=120, check=False)


def screenshot(binary: str, html_path: Path, png_path: Path, workdir: Path, max_height: int = 0) -> int:
    measured = chromium(binary, workdir / "profile-measure", f"--window-size={WIDTH},1000", "--dump-dom",
                        html_path.as_uri())
    match = re.search(r'data-page-height="(\d+)"', measured.stdout)
    height = int(match.group(1)) if match else 2000
    height = min(height, max_height) if max_height else min(height, 16000)
    shot = chromium(binary, workdir / "profile-shot", f"--window-size={WIDTH},{height}", f"--screenshot={png_path}",
                    html_path.as_uri())
    if not png_path.exists():
        sys.exit(f"render_mail_png: chromium wrote no screenshot for {html_path}:\n{shot.stderr[-2000:]}")
    return height


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="database URL (default: $COMPLAINT_OPS_DB or var/complaints.db)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "mail", help="output directory (docs/mail)")
    parser.add_argument("--kinds", nargs="+", choices=mail.KINDS, default=list(mail.KINDS))
    parser.add_argument("--chromium", help="Chromium binary (default: chromium on PATH)")
    parser.add_argument("--keep-html", action="store_true", help="keep the HTML files next to the PNGs")
    parser.add_argument("--max-height", type=int, default=3600,
                        help="cut long messages at this many pixels (0: whole message, up to 16000)")
    args = parser.parse_args(argv)
    binary = find_chromium(args.chromium)
    args.out.mkdir(parents=True, exist_ok=True)
    index = ["# The mail, as recipients see it", "",
             "Every kind of message in Chinese and English, as headless Chromium shows it (1000 px wide; long",
             f"messages cut at {args.max_height or 16000} px), made by `make mail-png` (`scripts/render_mail_png.py`) "
             "from the demo",
             "database (`make demo`). The plain-text part of each message is next to it (`.txt`).",
             "Templates: `templates/`; content: `complaint_ops.digests`; outbox and sending: `complaint_ops.mail`.", "",
             "| file | kind | recipient | date | subject |", "|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory(prefix="co-mail-png-") as tmp:
        workdir = Path(tmp)
        engine = open_database(args.db, workdir)
        with engine.connect() as conn:
            calendar = business_calendar.load(conn)
            dates = pick_dates(conn, calendar)
            org = digests.Org.load(conn)
            who = people(org)
            plan = {
                "D1": [("gm", "zh"), ("head", "en")], "D2": [("gm", "zh"), ("head", "en")],
                "D3": [("gm", "zh"), ("cm", "en")], "D4": [("gm", "zh"), ("head", "en")],
                "A1": [("gm", "zh"), ("head", "en")],
            }
            for kind in args.kinds:
                for role, lang in plan[kind]:
                    staff_id = who[role]
                    if kind == "A1" and role == "head":
                        staff_id = who["gm"]  # the alert is the same for everyone: show it in English
                    messages = digests.preview(conn, kind, staff_id, dates[kind])
                    if not messages:
                        print(f"{kind} {staff_id} {dates[kind]}: nothing to render", file=sys.stderr)
                        continue
                    period, view, rendered = messages[-1]
                    rendered = mail.render(kind, view, lang)
                    name = f"{kind.lower()}-{role}-{lang}"
                    html_path = workdir / f"{name}.html"
                    html_path.write_text(inline_images(rendered.html, rendered).replace("</body>", MEASURE + "</body>"),
                                         encoding="utf-8")
                    height = screenshot(binary, html_path, args.out / f"{name}.png", workdir, args.max_height)
                    (args.out / f"{name}.txt").write_text(f"Subject: {rendered.subject}\n\n{rendered.text}", encoding="utf-8")
                    if args.keep_html:
                        shutil.copyfile(html_path, args.out / f"{name}.html")
                    print(f"{args.out / (name + '.png')}  {WIDTH}x{height}  {rendered.subject}")
                    index.append(f"| [{name}.png]({name}.png) ([text]({name}.txt)) | {kind} | "
                                 f"{org.staff[staff_id]['name']} ({staff_id}, {lang}) | {dates[kind]} | "
                                 f"{rendered.subject.replace('|', '/')} |")
        engine.dispose()
    (args.out / "README.md").write_text("\n".join(index) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("COMPLAINT_OPS_MAIL_FROM", "complaint-ops@example.com")
    sys.exit(main())
