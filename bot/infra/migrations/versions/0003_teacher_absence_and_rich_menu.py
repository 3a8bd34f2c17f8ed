"""teacher absence and rich menu

Revision ID: 0003
Revises: 0002

"""
from alembic import op
import sqlalchemy as sa
import bot.infra.models.base


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('rich_menu',
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('rich_menu_id', sa.String(length=64), nullable=False),
    sa.Column('image_sha256', sa.String(length=64), nullable=False),
    sa.Column('deployed_at', bot.infra.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('role', name=op.f('pk_rich_menu'))
    )
    op.create_table('teacher_absence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('teacher_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', bot.infra.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', bot.infra.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.Column('created_at', bot.infra.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['teacher_id'], ['teacher.id'], name=op.f('fk_teacher_absence_teacher_id_teacher'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_teacher_absence'))
    )
    with op.batch_alter_table('teacher_absence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_teacher_absence_teacher_id'), ['teacher_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('teacher_absence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_teacher_absence_teacher_id'))

    op.drop_table('teacher_absence')
    op.drop_table('rich_menu')
