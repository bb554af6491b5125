"""The audit trail: one durable record per hook call (zero-card and error calls too), saying which
cards fired, for whom (a keyed pseudonym), why (the observed values and the thresholds in force) and,
through feedback joined by card uuid, what clinicians did with them.

- `models`: the tables (migrations in `migrations/`, run by `hamstring-cds db upgrade`);
- `database`: engines for SQLite (WAL) and PostgreSQL (psycopg 3), and the programmatic Alembic upgrade;
- `records`: what is kept of one call, built from the pipeline's `HookOutcome` (never a token);
- `repository`: the writes (one transaction per call) and the retention prune;
- `spool` and `recorder`: the durability rule: committed before the answer, or appended to a local
  spool that is replayed, idempotently, when the database is back;
- `queries`, `export`, `replay`: what quality teams read (review pages, CSV/JSONL/FHIR, threshold replay).
"""
