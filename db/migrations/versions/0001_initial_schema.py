"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-28 16:48:33.179860
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('auditlog',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.BigInteger(), nullable=True),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('entity', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('entity_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('auditlog', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_auditlog_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_auditlog_created_at'), ['created_at'], unique=False)

    op.create_table('chatuser',
    sa.Column('telegram_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('username', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
    sa.Column('timezone', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('last_seen_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('telegram_id')
    )
    op.create_table('commodity',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('default_unit', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('currency_code', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True),
    sa.Column('name_en', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('name_ko', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
    sa.Column('name_zh', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('commodity', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_commodity_category'), ['category'], unique=False)
        batch_op.create_index(batch_op.f('ix_commodity_slug'), ['slug'], unique=True)

    op.create_table('lease',
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('holder', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('market',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('country', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
    sa.Column('name_en', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('name_ko', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
    sa.Column('name_zh', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['market.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('market', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_market_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_market_slug'), ['slug'], unique=True)

    op.create_table('subscription',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=False),
    sa.Column('chat_type', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('commodity_ids', sa.JSON(), nullable=False),
    sa.Column('market_ids', sa.JSON(), nullable=False),
    sa.Column('filter_key', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('cadence', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('weekday', sa.Integer(), nullable=False),
    sa.Column('hour', sa.Integer(), nullable=False),
    sa.Column('timezone', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('alerts', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('next_due_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('last_digest_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('deactivated_reason', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('created_by', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('subscription', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subscription_chat_id'), ['chat_id'], unique=False)
        batch_op.create_index('ix_subscription_due', ['active', 'next_due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_subscription_filter_key'), ['filter_key'], unique=False)

    op.create_table('alertstate',
    sa.Column('commodity_id', sa.Integer(), nullable=False),
    sa.Column('market_id', sa.Integer(), nullable=False),
    sa.Column('level', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('observation_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['commodity_id'], ['commodity.id'], ),
    sa.ForeignKeyConstraint(['market_id'], ['market.id'], ),
    sa.PrimaryKeyConstraint('commodity_id', 'market_id')
    )
    op.create_table('commodityalias',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('commodity_id', sa.Integer(), nullable=False),
    sa.Column('text', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('lang', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('normalized', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.ForeignKeyConstraint(['commodity_id'], ['commodity.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('commodity_id', 'normalized', name='uq_commodity_alias')
    )
    with op.batch_alter_table('commodityalias', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_commodityalias_commodity_id'), ['commodity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_commodityalias_normalized'), ['normalized'], unique=False)

    op.create_table('digestdelivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subscription_id', sa.Integer(), nullable=False),
    sa.Column('period_key', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('due_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('claimed_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('claimed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('sent_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('message_ids', sa.JSON(), nullable=False),
    sa.Column('error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['subscription_id'], ['subscription.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('subscription_id', 'period_key', name='uq_delivery_period')
    )
    with op.batch_alter_table('digestdelivery', schema=None) as batch_op:
        batch_op.create_index('ix_delivery_status', ['status', 'due_at'], unique=False)

    op.create_table('marketalias',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('market_id', sa.Integer(), nullable=False),
    sa.Column('text', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('lang', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('normalized', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.ForeignKeyConstraint(['market_id'], ['market.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('market_id', 'normalized', name='uq_market_alias')
    )
    with op.batch_alter_table('marketalias', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_marketalias_market_id'), ['market_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_marketalias_normalized'), ['normalized'], unique=False)

    op.create_table('priceobservation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('commodity_id', sa.Integer(), nullable=False),
    sa.Column('market_id', sa.Integer(), nullable=False),
    sa.Column('observed_on', sa.Date(), nullable=True),
    sa.Column('observed_precision', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('reported_on', sa.Date(), nullable=True),
    sa.Column('sort_on', sa.Date(), nullable=False),
    sa.Column('price_low', sa.Float(), nullable=False),
    sa.Column('price_high', sa.Float(), nullable=False),
    sa.Column('grade', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
    sa.Column('price_type', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('unit', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('unit_quantity', sa.Float(), nullable=False),
    sa.Column('unit_base', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('per_base_low', sa.Float(), nullable=True),
    sa.Column('per_base_high', sa.Float(), nullable=True),
    sa.Column('source_name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('source_url', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('reliability', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('entered_by', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('deleted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('natural_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.ForeignKeyConstraint(['commodity_id'], ['commodity.id'], ),
    sa.ForeignKeyConstraint(['market_id'], ['market.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('natural_key', name='uq_price_natural_key')
    )
    with op.batch_alter_table('priceobservation', schema=None) as batch_op:
        batch_op.create_index('ix_price_market_latest', ['market_id', 'sort_on'], unique=False)
        batch_op.create_index('ix_price_series_latest', ['commodity_id', 'market_id', 'sort_on', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_priceobservation_deleted_at'), ['deleted_at'], unique=False)

    op.create_table('tradereport',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('market_id', sa.Integer(), nullable=False),
    sa.Column('observed_on', sa.Date(), nullable=True),
    sa.Column('observed_precision', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('reported_on', sa.Date(), nullable=True),
    sa.Column('sort_on', sa.Date(), nullable=False),
    sa.Column('topics', sa.JSON(), nullable=False),
    sa.Column('direction', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('border_status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('market_activity', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('enforcement', sa.Text(), nullable=True),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('source_name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('source_url', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('reliability', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=True),
    sa.Column('entered_by', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('deleted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('natural_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.ForeignKeyConstraint(['market_id'], ['market.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('natural_key', name='uq_trade_report_natural_key')
    )
    with op.batch_alter_table('tradereport', schema=None) as batch_op:
        batch_op.create_index('ix_trade_report_place_latest', ['market_id', 'sort_on', 'id'], unique=False)

    op.create_table('tradereportcommodity',
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('commodity_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['commodity_id'], ['commodity.id'], ),
    sa.ForeignKeyConstraint(['report_id'], ['tradereport.id'], ),
    sa.PrimaryKeyConstraint('report_id', 'commodity_id')
    )
    with op.batch_alter_table('tradereportcommodity', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tradereportcommodity_commodity_id'), ['commodity_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('tradereportcommodity', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tradereportcommodity_commodity_id'))

    op.drop_table('tradereportcommodity')
    with op.batch_alter_table('tradereport', schema=None) as batch_op:
        batch_op.drop_index('ix_trade_report_place_latest')

    op.drop_table('tradereport')
    with op.batch_alter_table('priceobservation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_priceobservation_deleted_at'))
        batch_op.drop_index('ix_price_series_latest')
        batch_op.drop_index('ix_price_market_latest')

    op.drop_table('priceobservation')
    with op.batch_alter_table('marketalias', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_marketalias_normalized'))
        batch_op.drop_index(batch_op.f('ix_marketalias_market_id'))

    op.drop_table('marketalias')
    with op.batch_alter_table('digestdelivery', schema=None) as batch_op:
        batch_op.drop_index('ix_delivery_status')

    op.drop_table('digestdelivery')
    with op.batch_alter_table('commodityalias', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_commodityalias_normalized'))
        batch_op.drop_index(batch_op.f('ix_commodityalias_commodity_id'))

    op.drop_table('commodityalias')
    op.drop_table('alertstate')
    with op.batch_alter_table('subscription', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subscription_filter_key'))
        batch_op.drop_index('ix_subscription_due')
        batch_op.drop_index(batch_op.f('ix_subscription_chat_id'))

    op.drop_table('subscription')
    with op.batch_alter_table('market', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_market_slug'))
        batch_op.drop_index(batch_op.f('ix_market_parent_id'))

    op.drop_table('market')
    op.drop_table('lease')
    with op.batch_alter_table('commodity', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_commodity_slug'))
        batch_op.drop_index(batch_op.f('ix_commodity_category'))

    op.drop_table('commodity')
    op.drop_table('chatuser')
    with op.batch_alter_table('auditlog', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_auditlog_created_at'))
        batch_op.drop_index(batch_op.f('ix_auditlog_actor_id'))

    op.drop_table('auditlog')
