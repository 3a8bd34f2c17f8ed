"""webhook events: durable intake

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa
import bot.infra.models.base

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

def upgrade() -> None:
    op.create_table('webhook_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_key', sa.String(length=128), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('received_at', bot.infra.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('claimed_at', bot.infra.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('done_at', bot.infra.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_event')),
    sa.UniqueConstraint('event_key', name=op.f('uq_webhook_event_event_key'))
    )
    with op.batch_alter_table('webhook_event', schema=None) as batch_op:
        batch_op.create_index('ix_webhook_event_open', ['done_at', 'claimed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_webhook_event_received_at'), ['received_at'], unique=False)

def downgrade() -> None:
    with op.batch_alter_table('webhook_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_event_received_at'))
        batch_op.drop_index('ix_webhook_event_open')

    op.drop_table('webhook_event')
