"""The run store's tables (SQLAlchemy Core), its version check, and how a database URL is opened.

Its errors, and their sentences for people, are in lab.runs.errors.

SQLite is the embedded default (a file under runs/, WAL mode); PostgreSQL through
`postgresql+psycopg://...`. Timestamps are float seconds since the epoch (time.time()),
the same on every database. No Streamlit, no torch here.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import (
    Boolean,
    Column,
    Engine,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    create_engine,
    event,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError

from lab.runs.errors import StoreError, safe_url, store_error

ROOT = Path(__file__).resolve().parents[2]
APP = "relulab"
SCHEMA_VERSION = 2
DEFAULT_DB_FILE = ROOT / "runs" / "relulab.sqlite3"

metadata = MetaData()

meta = Table("relulab_meta", metadata,
             Column("key", String(64), primary_key=True),
             Column("value", Text, nullable=False))

runs = Table("relulab_runs", metadata,
             Column("id", String(32), primary_key=True),  # secrets.token_urlsafe: unguessable
             Column("owner", String(64), nullable=False, index=True),
             Column("class_id", String(32), index=True),
             Column("nickname", String(64)),
             Column("number", Integer, nullable=False),  # 1, 2, ... per owner: the "#3" of a label
             Column("group_name", String(64)),  # runs started together (a paired comparison)
             Column("config", Text, nullable=False),  # RunConfig.to_json()
             Column("executor", String(16), nullable=False, default="local"),  # local | ray | cli
             Column("status", String(16), nullable=False, index=True),
             Column("stop_requested", Boolean, nullable=False, default=False),
             Column("node", String(128)),
             Column("pid", Integer),
             Column("created", Float, nullable=False),
             Column("started", Float),
             Column("ended", Float),
             Column("heartbeat", Float),
             Column("step", Integer, nullable=False, default=0),
             Column("total_steps", Integer, nullable=False, default=0),
             Column("final_loss", Float),
             Column("train_acc", Float),
             Column("test_acc", Float),
             Column("seconds", Float),
             Column("grad_first", Float),  # fc1's gradient norm at the last logged step
             Column("grad_out", Float),  # the output layer's, same step: their ratio shows vanishing
             Column("message", Text, nullable=False, default=""),
             Column("last_seq", Integer, nullable=False, default=0),
             # Schema 2 (lab/runs/identity.py, replay.py): what determines the run's result, and the run
             # whose events and weights this one replays (NULL: it trained itself).
             Column("run_key", String(64), index=True),
             Column("replay_of", String(32), index=True))

events = Table("relulab_events", metadata,
               Column("run_id", String(32), nullable=False),
               Column("seq", Integer, nullable=False),
               Column("kind", String(24), nullable=False),
               Column("payload", Text, nullable=False),  # JSON text (NaN allowed: not a JSON column)
               PrimaryKeyConstraint("run_id", "seq"))

weights = Table("relulab_weights", metadata,
                Column("run_id", String(32), nullable=False),
                Column("kind", String(16), nullable=False),  # checkpoint | final
                Column("step", Integer, nullable=False),
                Column("blob", LargeBinary, nullable=False),  # torch.save of a plain state_dict
                Column("updated", Float, nullable=False),
                PrimaryKeyConstraint("run_id", "kind"))

owners = Table("relulab_owners", metadata,
               Column("token", String(64), primary_key=True),
               Column("seen", Float, nullable=False),
               Column("left_at", Float))  # set when its last tab closed; NULL while a tab is open

classes = Table("relulab_classes", metadata,
                Column("id", String(32), primary_key=True),
                Column("code", String(16), nullable=False, unique=True),
                Column("teacher_hash", String(128), nullable=False),
                Column("name", String(80), nullable=False, default=""),
                Column("created", Float, nullable=False),
                Column("closed", Float),
                Column("challenge", Text),  # RunConfig JSON the teacher sent, or NULL
                Column("max_students", Integer, nullable=False, default=40),
                Column("max_runs", Integer, nullable=False, default=10))

members = Table("relulab_members", metadata,
                Column("class_id", String(32), nullable=False),
                Column("owner", String(64), nullable=False),
                Column("nickname", String(64), nullable=False),
                Column("joined", Float, nullable=False),
                PrimaryKeyConstraint("class_id", "owner"))

# Lesson mode (lab/lesson_mode): where each class's lesson stands, every prediction, every lesson run.
lessons = Table("relulab_lessons", metadata,
                Column("class_id", String(32), primary_key=True),  # one lesson at a time per class
                Column("lesson_id", String(64), nullable=False),
                Column("step", Integer, nullable=False, default=0),  # index into the lesson's steps
                Column("step_id", String(64), nullable=False),  # the same step by id (the file may change)
                Column("revealed", Text, nullable=False, default="[]"),  # JSON list of revealed step ids
                Column("unlocked", Boolean, nullable=False, default=False),  # free exploration
                Column("started", Float, nullable=False),
                Column("updated", Float, nullable=False),
                Column("ended", Float))

votes = Table("relulab_votes", metadata,
              Column("class_id", String(32), nullable=False),
              Column("lesson_id", String(64), nullable=False),
              Column("step_id", String(64), nullable=False),
              Column("owner", String(64), nullable=False),
              Column("choice", String(64), nullable=False),
              Column("at", Float, nullable=False),
              PrimaryKeyConstraint("class_id", "lesson_id", "step_id", "owner"))  # one vote per student

lesson_runs = Table("relulab_lesson_runs", metadata,
                    Column("class_id", String(32), nullable=False),
                    Column("lesson_id", String(64), nullable=False),
                    Column("step_id", String(64), nullable=False),
                    Column("owner", String(64), nullable=False),
                    Column("arm", String(64), nullable=False),
                    Column("run_id", String(32), nullable=False),
                    Column("created", Float, nullable=False),
                    PrimaryKeyConstraint("class_id", "lesson_id", "step_id", "owner"))  # one run per student


# Who asked a run to stop (the first request counts): the page can then tell a student that their
# teacher stopped it. A table of its own, so the runs table and SCHEMA_VERSION stay as they are:
# an older store gains it on first use (create_all), an older ReLU Lab ignores it.
stop_requests = Table("relulab_stop_requests", metadata,
                      Column("run_id", String(32), primary_key=True),
                      Column("origin", String(16), nullable=False),  # owner | teacher | left (its tabs closed)
                      Column("at", Float, nullable=False))

# Schema N -> N+1: statements run in one transaction with the version update, on SQLite and PostgreSQL
# alike (ADD COLUMN of a nullable column, CREATE INDEX named as create_all names it). Only columns and
# indexes: a new table needs no migration (create_all adds it).
MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: ("ALTER TABLE relulab_runs ADD COLUMN run_key VARCHAR(64)",
        "ALTER TABLE relulab_runs ADD COLUMN replay_of VARCHAR(32)",
        "CREATE INDEX ix_relulab_runs_run_key ON relulab_runs (run_key)",
        "CREATE INDEX ix_relulab_runs_replay_of ON relulab_runs (replay_of)"),
}


def database_url(url: str | None = None) -> str:
    """The URL to use: the argument, else $RELULAB_DB, else the embedded SQLite file."""
    url = url or os.environ.get("RELULAB_DB", "").strip()
    return url or f"sqlite:///{DEFAULT_DB_FILE}"


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    """WAL lets pages read while a trainer writes; busy_timeout queues writers instead of failing."""
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def make_engine(url: str) -> Engine:
    """An Engine for url (a SQLite file's folder is created); StoreError for a URL we cannot use."""
    try:
        if url.startswith("sqlite"):
            path = url.split("///", 1)[1] if "///" in url else ""
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(url, connect_args={"timeout": 30})
            event.listen(engine, "connect", _sqlite_pragmas)
            return engine
        # A dead server must fail fast and a returning one be found: pre-ping replaces the pool's
        # connections that died with it, a connection attempt gives up after 5 s, TCP keepalives end a
        # half-open one within ~25 s, and a page waits at most 10 s for a pooled connection.
        keepalive = {"connect_timeout": 5, "keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5,
                     "keepalives_count": 3}
        return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10, pool_timeout=10,
                             pool_recycle=1800, connect_args=keepalive if url.startswith("postgresql") else {})
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        raise StoreError(f"RELULAB_DB is not a database URL ReLU Lab can use ({exc}). Use "
                         "sqlite:///path/to/file.sqlite3 or postgresql+psycopg://user:password@host/db.") from exc
    except OSError as exc:
        raise StoreError(f"Cannot create the folder for the run store: {exc}") from exc


def ensure_schema(engine: Engine, url: str) -> None:
    """Create the tables on first use; refuse a database written by a newer version or by another app."""
    try:
        with engine.begin() as conn:
            names = set(inspect(conn).get_table_names())
            if meta.name in names:
                rows = dict(conn.execute(select(meta.c.key, meta.c.value)).all())
                if rows.get("app") != APP:
                    raise StoreError(f"The database {safe_url(url)} holds a table {meta.name} that ReLU Lab "
                                     "did not write; it was left untouched. Point RELULAB_DB elsewhere.")
                version = int(rows.get("schema_version", "0"))
                if version > SCHEMA_VERSION:
                    raise StoreError(f"The run store {safe_url(url)} was written by a newer ReLU Lab (schema "
                                     f"{version}, this one knows {SCHEMA_VERSION}); it was left untouched. "
                                     "Update ReLU Lab or point RELULAB_DB elsewhere.")
                if version < SCHEMA_VERSION:
                    migrate(conn)
                metadata.create_all(conn)  # tables added since (the lesson's, stop_requests); existing ones are kept
                return
            ours = {t.name for t in metadata.sorted_tables}
            if names - ours:
                raise StoreError(f"The database {safe_url(url)} already holds other tables "
                                 f"({', '.join(sorted(names - ours)[:5])}) and no ReLU Lab store; it was left "
                                 "untouched. Give ReLU Lab its own database or file.")
            metadata.create_all(conn)
            conn.execute(meta.insert(), [{"key": "app", "value": APP},
                                         {"key": "schema_version", "value": str(SCHEMA_VERSION)}])
    except StoreError:
        raise
    except (SQLAlchemyError, DBAPIError, OSError) as exc:
        raise store_error(exc, url) from exc


def migrate(conn) -> None:
    """Bring an older store up to SCHEMA_VERSION in the caller's transaction, one version at a time."""
    # A write first: SQLite's write lock, PostgreSQL's row lock; a second server migrating at the same
    # moment waits here and then finds the store already upgraded.
    conn.execute(update(meta).where(meta.c.key == "schema_version").values(value=meta.c.value))
    version = int(conn.execute(select(meta.c.value).where(meta.c.key == "schema_version")).scalar_one())
    for step in range(version, SCHEMA_VERSION):
        for statement in MIGRATIONS[step]:
            conn.execute(text(statement))
    conn.execute(update(meta).where(meta.c.key == "schema_version").values(value=str(SCHEMA_VERSION)))
