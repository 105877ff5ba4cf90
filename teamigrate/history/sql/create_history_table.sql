-- The history table; {schema} and {table} are quoted identifiers filled in by table.py,
-- which creates the schema first when it is missing.
-- One row per migration id: a retry after `resolve --rolled-back` updates the row.
CREATE TABLE IF NOT EXISTS {schema}.{table} (
    id           text PRIMARY KEY,
    checksum     text NOT NULL,
    state        text NOT NULL CHECK (state IN ('applied', 'failed', 'rolled_back', 'started')),
    started_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    finished_at  timestamptz,
    duration_ms  bigint,
    applied_by   text NOT NULL DEFAULT current_user,
    os_user      text,
    git_commit   text,
    error        text,
    error_line   integer,
    down_sql     text,
    replaces     text[] NOT NULL DEFAULT '{{}}'
);
COMMENT ON TABLE {schema}.{table} IS 'teamigrate migration history: one row per migration (teamigrate manages it; do not edit by hand)';
