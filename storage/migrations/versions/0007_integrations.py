"""Integrations: scoped tokens with ids and last use, plans, uploads, the trash, suppliers,
REST hooks with their outbox, deliveries and attempts.

Revision ID: 0007_integrations
Revises: 0006_fulltext_by_account
"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0007_integrations"
down_revision = "0006_fulltext_by_account"
branch_labels = None
depends_on = None

# Tokens made before scopes existed could do everything; they keep doing so.
ALL_SCOPES = "documents:read documents:write suppliers:write hooks"


def _when(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(), nullable=nullable)


def _account_ref() -> sa.Column:
    return sa.Column("account_id", sa.String(), sa.ForeignKey("account.id"), nullable=False)


def upgrade() -> None:
    op.add_column("apitoken", sa.Column("id", sa.String(), nullable=True))
    op.add_column("apitoken", sa.Column("scopes", sa.String(), nullable=False, server_default=ALL_SCOPES))
    op.add_column("apitoken", _when("last_used_at", nullable=True))
    op.add_column("apitoken", _when("revoked_at", nullable=True))
    connection = op.get_bind()
    hashes = [row[0] for row in connection.execute(sa.text("SELECT token_hash FROM apitoken"))]
    for token_hash in hashes:
        connection.execute(
            sa.text("UPDATE apitoken SET id = :id WHERE token_hash = :hash"),
            {"id": secrets.token_hex(10), "hash": token_hash},
        )
    with op.batch_alter_table("apitoken") as batch:
        batch.alter_column("id", existing_type=sa.String(), nullable=False)
        batch.create_unique_constraint("uq_apitoken_id", ["id"])

    for column in ("documents_per_month", "storage_limit_bytes", "suppliers_limit"):
        op.add_column("account", sa.Column(column, sa.Integer(), nullable=True))
    op.add_column("message", sa.Column("source", sa.String(), nullable=False, server_default="mail"))
    op.add_column("document", sa.Column("supplier_id", sa.String(), nullable=True))
    op.add_column("document", _when("deleted_at", nullable=True))
    op.create_index("ix_document_supplier_id", "document", ["supplier_id"])

    op.create_table(
        "supplier",
        sa.Column("id", sa.String(), primary_key=True),
        _account_ref(),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("emails", sa.String(), nullable=False),
        sa.Column("vat_id", sa.String(), nullable=True),
        sa.Column("iban", sa.String(), nullable=True),
        _when("created_at"),
        _when("updated_at"),
    )
    op.create_index("ix_supplier_account_id", "supplier", ["account_id"])
    op.create_index("ix_supplier_account_vat", "supplier", ["account_id", "vat_id"])

    op.create_table(
        "hook",
        sa.Column("id", sa.String(), primary_key=True),
        _account_ref(),
        sa.Column("event", sa.String(), nullable=False),
        sa.Column("target_url", sa.String(), nullable=False),
        sa.Column("secret", sa.String(), nullable=False),
        _when("created_at"),
    )
    op.create_index("ix_hook_account_id", "hook", ["account_id"])

    op.create_table(
        "hookevent",
        sa.Column("id", sa.String(), primary_key=True),
        _account_ref(),
        sa.Column("type", sa.String(), nullable=False),
        sa.Column("subject_id", sa.String(), nullable=False),
        _when("created_at"),
        sa.Column("payload", sa.Text(), nullable=True),
    )
    op.create_index("ix_hookevent_account_type_at", "hookevent", ["account_id", "type", "created_at"])

    op.create_table(
        "hookdelivery",
        sa.Column("id", sa.String(), primary_key=True),
        _account_ref(),
        sa.Column("hook_id", sa.String(), nullable=False),
        sa.Column("event_id", sa.String(), sa.ForeignKey("hookevent.id"), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _when("next_attempt_at", nullable=True),
        sa.Column("claimed_by", sa.String(), nullable=True),
        _when("claimed_until", nullable=True),
        _when("created_at"),
    )
    op.create_index("ix_hookdelivery_hook_id", "hookdelivery", ["hook_id"])
    op.create_index("ix_hookdelivery_state_next", "hookdelivery", ["state", "next_attempt_at"])

    op.create_table(
        "hookattempt",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("delivery_id", sa.String(), sa.ForeignKey("hookdelivery.id"), nullable=False),
        _when("at"),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        _when("next_retry_at", nullable=True),
    )
    op.create_index("ix_hookattempt_delivery_id", "hookattempt", ["delivery_id"])


def downgrade() -> None:
    for table in ("hookattempt", "hookdelivery", "hookevent", "hook", "supplier"):
        op.drop_table(table)
    op.drop_index("ix_document_supplier_id", "document")
    for table, column in (("document", "deleted_at"), ("document", "supplier_id"), ("message", "source")):
        op.drop_column(table, column)
    for column in ("documents_per_month", "storage_limit_bytes", "suppliers_limit"):
        op.drop_column("account", column)
    with op.batch_alter_table("apitoken") as batch:
        batch.drop_constraint("uq_apitoken_id", type_="unique")
        for column in ("revoked_at", "last_used_at", "scopes", "id"):
            batch.drop_column(column)
