"""outbox messages compressed with lz4 on PostgreSQL

A sweep writes tens of thousands of outbox rows whose messages (Flex bubbles, about 2 KB of JSON,
and multicasts' lists of up to 500 recipients) are long enough for PostgreSQL to compress. Its
default, pglz, cost about 1.5 s of a 100,000-student sweep's writing; lz4 does the same in 0.6 s
(bench/README.md, issue #12 item 10). Only on PostgreSQL 14 or later built with lz4; elsewhere
nothing changes. Rows already stored keep their compression until rewritten.

Revision ID: 0010
Revises: 0009
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

COLUMNS = ("recipients", "messages")


def _lz4_available() -> bool:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return False
    values = bind.execute(sa.text(
        "SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'")).scalar()
    return bool(values) and "lz4" in values


def upgrade() -> None:
    if _lz4_available():
        for column in COLUMNS:
            op.execute(f"ALTER TABLE outbox_message ALTER COLUMN {column} SET COMPRESSION lz4")


def downgrade() -> None:
    if _lz4_available():
        for column in COLUMNS:
            op.execute(f"ALTER TABLE outbox_message ALTER COLUMN {column} SET COMPRESSION default")
