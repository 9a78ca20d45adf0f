"""Alembic environment: runs on the connection handed in by storage.migrate, or on its own."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection, make_url

from storage.db import sync_url
from storage.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_alone(url: str) -> None:
    engine = create_engine(sync_url(make_url(url)))
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    _run_alone(config.get_main_option("sqlalchemy.url"))
