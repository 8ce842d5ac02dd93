"""venue links that emails can carry, and a venue's wish to be kept for the next season

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 06:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status_token_salt', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('keep_for_next_dt', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('request', schema=None) as batch_op:
        batch_op.drop_column('keep_for_next_dt')
        batch_op.drop_column('status_token_salt')
