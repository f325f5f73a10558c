"""The signing secret of the answers the service gives, and the per-reviewer write counter.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``signing_secret`` and ``reviewer_writes``."""
    op.create_table(
        "signing_secret",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signing_secret")),
    )
    op.create_table(
        "reviewer_writes",
        sa.Column("reviewer", sa.String(length=100), nullable=False),
        sa.Column("window_start", sa.DateTime(), nullable=False),
        sa.Column("writes", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("reviewer", name=op.f("pk_reviewer_writes")),
    )


def downgrade() -> None:
    """Drop them again."""
    op.drop_table("reviewer_writes")
    op.drop_table("signing_secret")
