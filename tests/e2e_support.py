"""Running Meltano on this project and reading what it loaded into PostgreSQL."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from tap_litmos.streams import STREAM_TYPES
from tests.support import PRIMARY_KEYS

if TYPE_CHECKING:
    from fake_litmos import FakeLitmos

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MELTANO = str(Path(sys.executable).with_name("meltano"))

PG_HOST, PG_PORT, PG_USER, PG_DATABASE = "127.0.0.1", 5432, "postgres", "test"
PG_CONNINFO = f"host={PG_HOST} port={PG_PORT} user={PG_USER} dbname={PG_DATABASE}"
SYSTEM_DATABASE = "meltano_e2e"
# SQLAlchemy's plain postgresql:// means psycopg2, which is not installed: the
# +psycopg suffix picks psycopg 3, which Meltano's postgres extra brings.
SYSTEM_DATABASE_URI = (
    f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/{SYSTEM_DATABASE}"
)

STREAM_SCHEMAS: dict[str, dict[str, Any]] = {
    stream_type.name: stream_type.schema for stream_type in STREAM_TYPES
}

# Settings a developer's shell may hold; the runs must not depend on them.
_FOREIGN_PREFIXES = ("MELTANO_", "TAP_LITMOS_", "TARGET_POSTGRES_", "TARGET_JSONL_")


@dataclass
class MeltanoRun:
    """How one Meltano command ended."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    def check(self) -> MeltanoRun:
        """Return self, or fail with the end of Meltano's log."""
        if self.returncode != 0:
            tail = "\n".join(self.stderr.splitlines()[-60:])
            msg = f"meltano {' '.join(self.args)} exited {self.returncode}:\n{tail}"
            raise AssertionError(msg)
        return self


def meltano(
    *args: str, env: dict[str, str], stdin: str | None = None, timeout: float = 300
) -> MeltanoRun:
    """Run the venv's Meltano in the project root."""
    started = time.monotonic()
    completed = subprocess.run(
        [MELTANO, *args],
        cwd=PROJECT_ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return MeltanoRun(
        args,
        completed.returncode,
        completed.stdout,
        completed.stderr,
        time.monotonic() - started,
    )


def meltano_env(
    server: FakeLitmos | None = None, *, schema: str | None = None, **extra: str
) -> dict[str, str]:
    """Environment for Meltano: the fake site, a target schema, the system database.

    Args:
        server: The fake Litmos site the tap reads.
        schema: The PostgreSQL schema target-postgres loads into.
        **extra: Further variables.

    Returns:
        This process's environment without foreign Meltano, tap and target
        settings, plus the test's own.
    """
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(_FOREIGN_PREFIXES)
    }
    env |= {
        "MELTANO_DATABASE_URI": SYSTEM_DATABASE_URI,
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        "MELTANO_CLI_DISABLE_VERSION_CHECK": "true",
        # target-postgres wants a password even when the server trusts us.
        "TARGET_POSTGRES_PASSWORD": "",
        "TARGET_POSTGRES_HOST": PG_HOST,
        "TARGET_POSTGRES_PORT": str(PG_PORT),
        "TARGET_POSTGRES_USER": PG_USER,
        "TARGET_POSTGRES_DATABASE": PG_DATABASE,
    }
    if server is not None:
        env |= {
            "TAP_LITMOS_API_KEY": server.api_key,
            "TAP_LITMOS_SOURCE": "tap-litmos-e2e",
            "TAP_LITMOS_API_URL": server.base_url,
            "TAP_LITMOS_REQUESTS_PER_MINUTE": "6000",
            "TAP_LITMOS_REQUEST_TIMEOUT": "30",
        }
    if schema is not None:
        env["TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA"] = schema
    return env | extra


def connect(dbname: str = PG_DATABASE) -> psycopg.Connection[dict[str, Any]]:
    """Open an autocommit connection whose rows are dicts."""
    return psycopg.connect(
        host=PG_HOST,
        port=PG_PORT,
        user=PG_USER,
        dbname=dbname,
        autocommit=True,
        row_factory=dict_row,
    )


def ensure_database(name: str) -> None:
    """Create a database unless it exists."""
    with connect() as conn:
        found = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
        ).fetchone()
        if found is None:
            # Another test session may create it in the meantime.
            with contextlib.suppress(psycopg.errors.DuplicateDatabase):
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_schema(schema: str) -> None:
    """Drop a schema and everything in it."""
    with connect() as conn:
        conn.execute(
            sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema))
        )


@dataclass
class Snapshot:
    """Every row and column type of the loaded tables, at one moment."""

    rows: dict[str, list[dict[str, Any]]]
    column_types: dict[str, dict[str, str]]

    def by_key(self, stream: str) -> dict[tuple[Any, ...], dict[str, Any]]:
        """Return a stream's rows by primary key."""
        names = PRIMARY_KEYS[stream]
        return {tuple(row[name] for name in names): row for row in self.rows[stream]}

    def by_column(self, table: str, column: str) -> dict[Any, dict[str, Any]]:
        """Return a table's rows by the value of one column."""
        return {row[column]: row for row in self.rows[table]}

    def count(self, stream: str) -> int:
        """Return the number of rows of a stream's table."""
        return len(self.rows[stream])


def snapshot(schema: str, tables: tuple[str, ...] = tuple(PRIMARY_KEYS)) -> Snapshot:
    """Read every row of the given tables of a schema."""
    rows: dict[str, list[dict[str, Any]]] = {}
    types: dict[str, dict[str, str]] = {}
    with connect() as conn:
        for table in tables:
            query = sql.SQL("SELECT * FROM {}.{}").format(
                sql.Identifier(schema), sql.Identifier(table)
            )
            rows[table] = conn.execute(query).fetchall()
            columns = conn.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = %s AND table_name = %s",
                (schema, table),
            ).fetchall()
            types[table] = {c["column_name"]: c["data_type"] for c in columns}
    return Snapshot(rows, types)


def as_loaded(value: Any, prop: dict[str, Any]) -> Any:
    """Return what PostgreSQL should hold for a property value the tap emits.

    target-postgres stores date-times as ``timestamp without time zone`` in
    UTC, numbers as ``numeric`` and the rest as the JSON value's own type.
    """
    if value is None:
        return None
    if prop.get("format") == "date-time":
        instant = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        return instant.astimezone(timezone.utc).replace(tzinfo=None)
    if "number" in prop.get("type", ()):
        return Decimal(str(value))
    return value


def same(expected: Any, loaded: Any) -> bool:
    """Tell whether two values are equal and of the same type (True is not 1)."""
    if expected is None or loaded is None:
        return expected is loaded
    return type(expected) is type(loaded) and expected == loaded


def differences(
    stream: str,
    expected_rows: list[dict[str, Any]],
    loaded: dict[tuple[Any, ...], dict[str, Any]],
) -> list[str]:
    """Describe every expected value that the loaded rows do not hold.

    Args:
        stream: The stream whose rows are compared.
        expected_rows: Records as the tap should emit them.
        loaded: The table's rows by primary key.

    Returns:
        One line per missing row or differing value; empty when all match.
    """
    properties = STREAM_SCHEMAS[stream]["properties"]
    names = PRIMARY_KEYS[stream]
    problems: list[str] = []
    for row in expected_rows:
        key = tuple(row[name] for name in names)
        found = loaded.get(key)
        if found is None:
            problems.append(f"{stream} {key}: no row")
            continue
        for column, value in row.items():
            want = as_loaded(value, properties.get(column, {}))
            if column not in found:
                problems.append(f"{stream} {key}: no column {column}")
            elif not same(want, found[column]):
                problems.append(
                    f"{stream} {key}.{column}: want {want!r}, got {found[column]!r}"
                )
    return problems
