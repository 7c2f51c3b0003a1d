"""Baseline: the schema as `create_all` made it before migrations existed (main at 265ca85).

Written out table by table, frozen here: later model changes get their own revision.
The full-text index is installed through storage.fulltext, the one place that knows its dialect.

Revision ID: 0001_baseline
"""

import sqlalchemy as sa
from alembic import op

from storage.fulltext import Split, fulltext_for

revision = "0001_baseline"
down_revision = None
branch_labels = None
depends_on = None


def _id() -> sa.Column:
    return sa.Column("id", sa.String(), primary_key=True)


def _text(name: str) -> sa.Column:
    return sa.Column(name, sa.String(), nullable=False)


def _optional(name: str, type_: sa.types.TypeEngine | None = None) -> sa.Column:
    return sa.Column(name, type_ if type_ is not None else sa.String(), nullable=True)


def _when(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(), nullable=nullable)


def _account_ref() -> sa.Column:
    return sa.Column("account_id", sa.String(), sa.ForeignKey("account.id"), nullable=False)


def upgrade() -> None:
    op.create_table(
        "account",
        _id(),
        _text("name"),
        _text("inbox_local"),
        sa.Column("active", sa.Boolean(), nullable=False),
        _text("allowed_senders"),
        _when("created_at"),
    )
    op.create_index("ix_account_inbox_local", "account", ["inbox_local"], unique=True)

    op.create_table(
        "user",
        _id(),
        _account_ref(),
        _text("email"),
        _text("password_hash"),
        _when("created_at"),
    )
    op.create_index("ix_user_account_id", "user", ["account_id"])
    op.create_index("ix_user_email", "user", ["email"], unique=True)

    op.create_table(
        "websession",
        sa.Column("token_hash", sa.String(), primary_key=True),
        sa.Column("user_id", sa.String(), sa.ForeignKey("user.id"), nullable=False),
        _account_ref(),
        _text("csrf_token"),
        _when("expires_at"),
    )
    op.create_index("ix_websession_user_id", "websession", ["user_id"])

    op.create_table(
        "apitoken",
        sa.Column("token_hash", sa.String(), primary_key=True),
        _account_ref(),
        _text("name"),
        _when("created_at"),
    )
    op.create_index("ix_apitoken_account_id", "apitoken", ["account_id"])

    op.create_table(
        "message",
        _id(),
        _account_ref(),
        _text("raw_sha256"),
        sa.Column("raw_size", sa.Integer(), nullable=False),
        _text("envelope_from"),
        _text("envelope_to"),
        _when("received_at"),
        _text("status"),
        _text("reason"),
        _text("sender"),
        _text("subject"),
        _text("message_id"),
        sa.Column("text_body", sa.Text(), nullable=False),
        sa.Column("html_body", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _when("claimed_until", nullable=True),
        _when("processed_at", nullable=True),
    )
    op.create_index("ix_message_account_received", "message", ["account_id", "received_at", "id"])
    op.create_index("ix_message_status_received", "message", ["status", "received_at"])
    op.create_index("ix_message_message_id", "message", ["message_id"])

    op.create_table(
        "document",
        _id(),
        _account_ref(),
        sa.Column("message_id", sa.String(), sa.ForeignKey("message.id"), nullable=False),
        _text("part_path"),
        _text("sha256"),
        _text("filename"),
        _text("content_type"),
        _text("kind"),
        sa.Column("size", sa.Integer(), nullable=False),
        _optional("pages", sa.Integer()),
        sa.Column("encrypted", sa.Boolean(), nullable=False),
        sa.Column("unreadable", sa.Boolean(), nullable=False),
        _text("reason"),
        _optional("from_archive"),
        sa.Column("text", sa.Text(), nullable=False),
        _text("sender"),
        _text("subject"),
        _when("received_at"),
        *(_optional(name) for name in ("invoice_source", "invoice_type", "invoice_number")),
        _optional("issue_date", sa.Date()),
        _optional("due_date", sa.Date()),
        *(
            _optional(name)
            for name in (
                "seller",
                "seller_vat_id",
                "buyer",
                "buyer_reference",
                "net_total",
                "tax_total",
                "total",
                "amount_due",
                "currency",
                "profile",
            )
        ),
        _optional("invoice_lines", sa.Text()),
        sa.UniqueConstraint("account_id", "message_id", "part_path"),
    )
    op.create_index("ix_document_account_received", "document", ["account_id", "received_at", "id"])
    op.create_index("ix_document_message_id", "document", ["message_id"])
    op.create_index("ix_document_account_sha", "document", ["account_id", "sha256"])
    # The list's sort keys (storage.models.DOCUMENT_SORT_KEYS), NULL-free so cursors compare totally.
    byte_order = ' COLLATE "C"' if op.get_bind().dialect.name == "postgresql" else ""  # models.byte_order
    for name, key in (
        ("date", "coalesce(issue_date, '0001-01-01')"),
        ("supplier", f"lower(coalesce(seller, sender)){byte_order}"),
        ("total", "coalesce(CAST(total AS FLOAT), -1e308)"),
    ):
        op.create_index(f"ix_document_account_sort_{name}", "document", ["account_id", sa.text(key), "id"])

    op.create_table(
        "partlog",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("message_id", sa.String(), sa.ForeignKey("message.id"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        *(_text(name) for name in ("path", "declared_type", "detected_type", "filename")),
        sa.Column("size", sa.Integer(), nullable=False),
        _text("decision"),
        _text("reason"),
        _optional("document_id"),
    )
    op.create_index("ix_partlog_message_id", "partlog", ["message_id"])
    op.create_index("ix_partlog_document_id", "partlog", ["document_id"])

    op.create_table(
        "rejectedmail",
        _id(),
        _account_ref(),
        _when("at"),
        _text("envelope_from"),
        _text("envelope_to"),
        _text("reason"),
    )
    op.create_index("ix_rejectedmail_account_at", "rejectedmail", ["account_id", "at"])

    op.create_table(
        "loginfailure",
        sa.Column("id", sa.Integer(), primary_key=True),
        _text("key"),
        _when("at"),
    )
    op.create_index("ix_loginfailure_key_at", "loginfailure", ["key", "at"])

    op.create_table(
        "thumbnail",
        sa.Column("source_sha256", sa.String(), primary_key=True),
        _optional("png_sha256"),
        _text("reason"),
    )

    connection = op.get_bind()
    fulltext_for(connection.dialect.name).install(connection, Split.NONE)


def downgrade() -> None:
    raise NotImplementedError("the baseline is where migrations start")
