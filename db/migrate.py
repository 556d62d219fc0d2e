"""Schema migrations with Alembic, driven from Python (no ini file needed).

    upgrade(database_url)        # what `energycloud migrate` and `energycloud up` run
    python -m db.migrate regenerate

`regenerate` rewrites the single initial revision from the current models: it
deletes db/migrations/versions/0001_*.py and autogenerates it again against a
fresh, empty SQLite file. Use it while the schema is still young and no
production database exists; afterwards add revisions with
`alembic -c db/migrations/alembic.ini revision --autogenerate -m "..."`.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import pool
from sqlalchemy.engine import make_url

from db.base import make_engine

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
VERSIONS = MIGRATIONS / "versions"
INITIAL_REVISION = "0001"


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def display_url(database_url: str) -> str:
    """The URL with its password masked, for logs."""
    return make_url(database_url).render_as_string(hide_password=True)


def ensure_sqlite_directory(database_url: str) -> None:
    """SQLite creates the file but not its directory (./var/ on a fresh checkout)."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)


def _run(database_url: str, action) -> str | None:
    """Run an Alembic command on one shared connection; return the revision after."""
    ensure_sqlite_directory(database_url)
    engine = make_engine(database_url, poolclass=pool.NullPool)
    try:
        with engine.begin() as connection:
            cfg = alembic_config()
            cfg.attributes["connection"] = connection
            action(cfg)
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def upgrade(database_url: str, revision: str = "head") -> str | None:
    """Bring the database to `revision` (default: the newest). Idempotent."""
    before = current_revision(database_url)
    after = _run(database_url, lambda cfg: command.upgrade(cfg, revision))
    if before == after:
        log.info("Database %s is up to date (revision %s)", display_url(database_url), after)
    else:
        log.info(
            "Migrated database %s from revision %s to %s",
            display_url(database_url),
            before or "(empty)",
            after,
        )
    return after


def downgrade(database_url: str, revision: str = "base") -> str | None:
    after = _run(database_url, lambda cfg: command.downgrade(cfg, revision))
    log.info("Downgraded database %s to revision %s", display_url(database_url), after or "base")
    return after


def current_revision(database_url: str) -> str | None:
    ensure_sqlite_directory(database_url)
    engine = make_engine(database_url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def regenerate(message: str = "initial schema") -> Path:
    """Replace the initial revision by a fresh autogenerate from the current models."""
    others = [
        p
        for p in VERSIONS.glob("*.py")
        if p.name != "__init__.py" and not p.name.startswith(f"{INITIAL_REVISION}_")
    ]
    if others:
        names = ", ".join(sorted(p.name for p in others))
        raise SystemExit(f"refusing to regenerate: later revisions exist ({names})")
    for old in VERSIONS.glob(f"{INITIAL_REVISION}_*.py"):
        log.info("Deleting %s", old.relative_to(MIGRATIONS.parent.parent))
        old.unlink()
    shutil.rmtree(VERSIONS / "__pycache__", ignore_errors=True)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'empty.db'}"
        engine = make_engine(url, poolclass=pool.NullPool)
        try:
            with engine.begin() as connection:
                cfg = alembic_config()
                cfg.attributes["connection"] = connection
                command.revision(cfg, message=message, autogenerate=True, rev_id=INITIAL_REVISION)
        finally:
            engine.dispose()
    (path,) = VERSIONS.glob(f"{INITIAL_REVISION}_*.py")
    _tidy(path)
    log.info("Wrote %s", path.relative_to(MIGRATIONS.parent.parent))
    return path


def _tidy(path: Path) -> None:
    """Sort imports and format the generated file with ruff, when it is installed."""
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if not ruff:
        return
    fix_imports = ["check", "--fix", "--quiet", "--select", "I,F401"]
    subprocess.run([ruff, *fix_imports, str(path)], check=False)
    subprocess.run([ruff, "format", "--quiet", str(path)], check=False)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m db.migrate",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="action", required=True)
    sub.add_parser("regenerate", help="rewrite the initial revision from the current models")
    for name in ("upgrade", "downgrade"):
        p = sub.add_parser(name, help=f"{name} DATABASE_URL (default from settings)")
        p.add_argument("--url", help="database URL (default: DATABASE_URL / settings)")
        p.add_argument("revision", nargs="?", default="head" if name == "upgrade" else "base")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic.runtime").setLevel(logging.WARNING)
    if args.action == "regenerate":
        regenerate()
        return
    # A developer's command line: the URL comes from --url or the environment.
    # `energycloud migrate` is the entry point that reads the platform settings.
    url = args.url or os.environ.get("DATABASE_URL")
    if not url:
        parser.error("give --url or set DATABASE_URL (or run `energycloud migrate`)")
    (upgrade if args.action == "upgrade" else downgrade)(url, args.revision)


if __name__ == "__main__":
    main()
