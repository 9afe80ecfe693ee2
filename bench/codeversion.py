"""Which engine code a benchmark measured (imports nothing of complaint_ops: parse.py's measuring
processes must import our package only where they time it)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def code_version() -> dict:
    """The engine code measured: commit, files changed beside it, and a fingerprint of plugins/, dags/,
    sql/ as they are on disk (other people edit the repository while benchmarks run)."""
    import hashlib
    import subprocess

    digest = hashlib.sha1()
    for path in sorted(p for d in ("plugins", "dags", "sql") for p in (ROOT / d).rglob("*")
                       if p.is_file() and p.suffix in (".py", ".sql", ".yaml", ".yml", ".toml")):
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    git = ["git", "-C", str(ROOT)]
    commit = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run([*git, "status", "--porcelain", "--", "plugins", "dags", "sql"], capture_output=True,
                           text=True).stdout.split("\n")
    return {"commit": commit, "uncommitted": [ln[3:] for ln in dirty if ln.strip()], "fingerprint": digest.hexdigest()[:12]}
