"""requests dropped by hand stay out; dates a venue refused

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 06:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dropped_dt', sa.DateTime(timezone=True), nullable=True))
    op.create_table('refused_date',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('start_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['request.id'], name=op.f('fk_refused_date_request_id_request'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refused_date')),
    sa.UniqueConstraint('request_id', 'day', name=op.f('uq_refused_date_request_id'))
    )
    with op.batch_alter_table('refused_date', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refused_date_request_id'), ['request_id'], unique=False)


def downgrade():
    with op.batch_alter_table('refused_date', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_refused_date_request_id'))
    op.drop_table('refused_date')
    with op.batch_alter_table('request', schema=None) as batch_op:
        batch_op.drop_column('dropped_dt')
