"""request.duplicate_of_id: a repeat sent without the private link waits for a coordinator

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06 06:45:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('duplicate_of_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_request_duplicate_of_id'), ['duplicate_of_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_request_duplicate_of_id_request'), 'request', ['duplicate_of_id'],
                                    ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('request', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_request_duplicate_of_id_request'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_request_duplicate_of_id'))
        batch_op.drop_column('duplicate_of_id')
