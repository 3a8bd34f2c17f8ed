"""reminder_mute: per-person muted reminder kinds

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa
import bot.infra.models.base


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('reminder_mute',
    sa.Column('person_kind', sa.Enum('student', 'teacher', name='person_kind', native_enum=False, length=32), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('muted_at', bot.infra.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('person_kind', 'person_id', 'kind', name=op.f('pk_reminder_mute'))
    )


def downgrade() -> None:
    op.drop_table('reminder_mute')
