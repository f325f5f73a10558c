"""The review tables: answers, their citations, judgments and citation judgments.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the four review tables and their indexes."""
    op.create_table(
        "answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("question_type", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("supported", sa.Boolean(), nullable=False),
        sa.Column("generator", sa.String(length=64), nullable=False),
        sa.Column("districts", sa.JSON(), nullable=False),
        sa.Column("build_id", sa.String(length=64), nullable=False),
        sa.Column("index_settings_hash", sa.String(length=64), nullable=False),
        sa.Column("answer_settings_hash", sa.String(length=64), nullable=False),
        sa.Column("first_seen", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_answers")),
        sa.UniqueConstraint("content_hash", name=op.f("uq_answers_content_hash")),
    )
    op.create_index(op.f("ix_answers_build_id"), "answers", ["build_id"])
    op.create_index(op.f("ix_answers_question_type"), "answers", ["question_type"])

    op.create_table(
        "answer_citations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("answer_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("doc_id", sa.String(length=200), nullable=False),
        sa.Column("chunk_id", sa.String(length=200), nullable=False),
        sa.Column("start", sa.Integer(), nullable=False),
        sa.Column("end", sa.Integer(), nullable=False),
        sa.Column("quote", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["answer_id"], ["answers.id"], name=op.f("fk_answer_citations_answer_id_answers"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_answer_citations")),
        sa.UniqueConstraint("answer_id", "number", name=op.f("uq_answer_citations_answer_id_number")),
    )

    op.create_table(
        "judgments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("answer_id", sa.Integer(), nullable=False),
        sa.Column("reviewer", sa.String(length=100), nullable=False),
        sa.Column("verdict", sa.String(length=32), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("judged_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "verdict IN ('correct', 'partly_correct', 'wrong', 'should_have_abstained')",
            name=op.f("ck_judgments_verdict"),
        ),
        sa.ForeignKeyConstraint(
            ["answer_id"], ["answers.id"], name=op.f("fk_judgments_answer_id_answers"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_judgments")),
        sa.UniqueConstraint("answer_id", "reviewer", name=op.f("uq_judgments_answer_id_reviewer")),
    )
    op.create_index(op.f("ix_judgments_answer_id"), "judgments", ["answer_id"])
    op.create_index(op.f("ix_judgments_judged_at"), "judgments", ["judged_at"])
    op.create_index(op.f("ix_judgments_reviewer"), "judgments", ["reviewer"])
    op.create_index(op.f("ix_judgments_verdict"), "judgments", ["verdict"])

    op.create_table(
        "citation_judgments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("judgment_id", sa.Integer(), nullable=False),
        sa.Column("citation_id", sa.Integer(), nullable=False),
        sa.Column("verdict", sa.String(length=32), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.CheckConstraint("verdict IN ('supports', 'does_not_support')", name=op.f("ck_citation_judgments_verdict")),
        sa.ForeignKeyConstraint(
            ["citation_id"],
            ["answer_citations.id"],
            name=op.f("fk_citation_judgments_citation_id_answer_citations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["judgment_id"],
            ["judgments.id"],
            name=op.f("fk_citation_judgments_judgment_id_judgments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citation_judgments")),
        sa.UniqueConstraint("judgment_id", "citation_id", name=op.f("uq_citation_judgments_judgment_id_citation_id")),
    )


def downgrade() -> None:
    """Drop the review tables (their indexes go with them)."""
    op.drop_table("citation_judgments")
    op.drop_table("judgments")
    op.drop_table("answer_citations")
    op.drop_table("answers")
