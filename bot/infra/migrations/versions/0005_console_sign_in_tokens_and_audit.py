"""console sign-in tokens and audit

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa
import bot.infra.models.base


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('console_audit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', bot.infra.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('teacher_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_console_audit'))
    )
    with op.batch_alter_table('console_audit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_console_audit_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_console_audit_at'), ['at'], unique=False)

    op.create_table('console_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('teacher_id', sa.Integer(), nullable=False),
    sa.Column('created_at', bot.infra.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', bot.infra.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', bot.infra.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['teacher_id'], ['teacher.id'], name=op.f('fk_console_token_teacher_id_teacher'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_console_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_console_token_token_hash'))
    )
    with op.batch_alter_table('console_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_console_token_teacher_id'), ['teacher_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('console_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_console_token_teacher_id'))

    op.drop_table('console_token')
    with op.batch_alter_table('console_audit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_console_audit_at'))
        batch_op.drop_index(batch_op.f('ix_console_audit_action'))

    op.drop_table('console_audit')
