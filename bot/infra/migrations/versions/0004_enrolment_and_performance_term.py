"""在學狀態 (student.enrolment replaces student.enrolled), its date and the purge mark; 多元表現's 學期

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa
import bot.infra.models.base


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

ENROLMENT = sa.Enum('enrolled', 'suspended', 'transferred', 'graduated', 'left', name='enrolment',
                    native_enum=False, length=32)


def upgrade() -> None:
    with op.batch_alter_table('student', schema=None) as batch_op:
        batch_op.add_column(sa.Column('enrolment', ENROLMENT, server_default='enrolled', nullable=False))
        batch_op.add_column(sa.Column('enrolment_since', bot.infra.models.base.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('purged_at', bot.infra.models.base.UTCDateTime(timezone=True), nullable=True))
    op.execute("UPDATE student SET enrolment = 'left' WHERE enrolled = false")
    with op.batch_alter_table('student', schema=None) as batch_op:
        batch_op.drop_column('enrolled')
    with op.batch_alter_table('performance', schema=None) as batch_op:
        batch_op.add_column(sa.Column('semester', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('performance', schema=None) as batch_op:
        batch_op.drop_column('semester')
    with op.batch_alter_table('student', schema=None) as batch_op:
        batch_op.add_column(sa.Column('enrolled', sa.Boolean(), server_default=sa.true(), nullable=False))
    op.execute("UPDATE student SET enrolled = (enrolment = 'enrolled')")
    with op.batch_alter_table('student', schema=None) as batch_op:
        batch_op.drop_column('purged_at')
        batch_op.drop_column('enrolment_since')
        batch_op.drop_column('enrolment')
