"""outbox back-off

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa
import bot.infra.models.base

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

def upgrade() -> None:
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column("next_attempt_at", bot.infra.models.base.UTCDateTime(timezone=True),
                                      nullable=True))

def downgrade() -> None:
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_column('next_attempt_at')

