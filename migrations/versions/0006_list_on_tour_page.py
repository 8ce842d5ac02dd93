"""a venue's consent to list its screening on the public tour page (off for every existing request)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 06:55:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('list_on_tour_page', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('request', schema=None) as batch_op:
        batch_op.drop_column('list_on_tour_page')
