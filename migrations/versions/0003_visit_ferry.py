"""visit: the car ferry the drive before a visit crosses on

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 07:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('visit') as batch:
        batch.add_column(sa.Column('ferry_name', sa.String(length=120), nullable=True))
        batch.add_column(sa.Column('ferry_minutes', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('ferry_depart_dt', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('visit') as batch:
        batch.drop_column('ferry_depart_dt')
        batch.drop_column('ferry_minutes')
        batch.drop_column('ferry_name')
