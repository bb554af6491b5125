"""The audit trail: one durable record per hook call (zero-card and error calls too), saying which
cards fired, for whom (a keyed pseudonym), why (the observed values and the thresholds in force) and,
through feedback joined by card uuid, what clinicians did with them.

- `models`: the tables (migrations in `migrations/`, run by `hamstring-cds db upgrade`);
- `database`: engines for SQLite (WAL) and PostgreSQL (psycopg 3), and the programmatic Alembic upgrade;
- `records`: what is kept of one call, built by `outcome` from the pipeline's `HookOutcome` (never a token);
- `repository`: the writes (one transaction per call) and the retention prune;
- `recorder`: the `AuditTrail` facade over parts with one job each: `connection` (engine, back-off),
  `journal` and `writer` (calls journaled before the answer, committed in batches), `spool` and
  `spooler` (what the database cannot take, replayed idempotently when it is back), `feedback_log`,
  `token_replay` (a JWT's jti accepted once);
- `queries`, `export`, `replay`: what quality teams read (review pages, CSV/JSONL/FHIR, threshold replay).
"""
