"""reminder snooze: a reminder asked for again later

Revision ID: 0009
Revises: 0008
"""
from alembic import op
import sqlalchemy as sa
import bot.infra.models.base


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('reminder_snooze',
    sa.Column('person_kind', sa.Enum('student', 'teacher', name='person_kind', native_enum=False, length=32), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('rule', sa.String(length=64), nullable=False),
    sa.Column('scope', sa.String(length=64), nullable=False),
    sa.Column('stage', sa.String(length=32), nullable=False),
    sa.Column('until', bot.infra.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', bot.infra.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('person_kind', 'person_id', 'rule', 'scope', 'stage', name=op.f('pk_reminder_snooze'))
    )
    with op.batch_alter_table('reminder_snooze', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminder_snooze_until'), ['until'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('reminder_snooze', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reminder_snooze_until'))

    op.drop_table('reminder_snooze')
