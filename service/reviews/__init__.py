"""Answer review: reviewers judge answers and their citations; judgments are stored, summed up and
exported as candidate gold questions.

``store`` keeps the judgments (SQLite or PostgreSQL, migrated by ``migrations``), ``checks`` holds a
submitted answer against the loaded index, ``routes`` is the API, ``summary`` counts verdicts and
measures agreement, ``export`` writes gold candidates. See docs/reviews.md.
"""
