"""A task-tracker's history as a team writes it by hand: 32 migrations with data, renames, backfills and views."""

from __future__ import annotations

from pathlib import Path

# (name, migration.sql, down.sql); ids get one second each from 2026-01-05 09:00:00.
MIGRATIONS: tuple[tuple[str, str, str], ...] = (
    ("create_plans", """\
CREATE TABLE plans (
    code text PRIMARY KEY,
    title text NOT NULL,
    seats integer NOT NULL CHECK (seats > 0)
);
INSERT INTO plans (code, title, seats) VALUES ('free', 'Free', 3), ('team', 'Team', 25);
""", "DROP TABLE plans;\n"),
    ("create_organizations", """\
CREATE TABLE organizations (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL,
    plan_code text NOT NULL REFERENCES plans (code),
    created_at timestamptz NOT NULL DEFAULT now()
);
""", "DROP TABLE organizations;\n"),
    ("create_users", """\
CREATE TABLE users (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email text NOT NULL UNIQUE,
    full_name text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
""", "DROP TABLE users;\n"),
    ("create_role_enum", "CREATE TYPE member_role AS ENUM ('owner', 'member');\n", "DROP TYPE member_role;\n"),
    ("create_memberships", """\
CREATE TABLE memberships (
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role member_role NOT NULL DEFAULT 'member',
    PRIMARY KEY (organization_id, user_id)
);
CREATE INDEX memberships_user_idx ON memberships (user_id);
""", "DROP TABLE memberships;\n"),
    ("insert_demo_organization", """\
INSERT INTO organizations (name, plan_code) VALUES ('Demo', 'free');
INSERT INTO users (email, full_name) VALUES ('demo@example.com', 'Demo User');
INSERT INTO memberships (organization_id, user_id, role)
SELECT o.id, u.id, 'owner' FROM organizations o, users u WHERE o.name = 'Demo' AND u.email = 'demo@example.com';
""", "DELETE FROM organizations WHERE name = 'Demo';\nDELETE FROM users WHERE email = 'demo@example.com';\n"),
    ("create_projects", """\
CREATE TABLE projects (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name text NOT NULL,
    archived boolean NOT NULL DEFAULT false,
    UNIQUE (organization_id, name)
);
""", "DROP TABLE projects;\n"),
    ("create_task_status", "CREATE TYPE task_status AS ENUM ('todo', 'doing', 'done');\n", "DROP TYPE task_status;\n"),
    ("create_tasks", """\
CREATE TABLE tasks (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    title text NOT NULL,
    status task_status NOT NULL DEFAULT 'todo',
    assignee_id bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tasks_project_status_idx ON tasks (project_id, status);
""", "DROP TABLE tasks;\n"),
    ("insert_demo_tasks", """\
INSERT INTO projects (organization_id, name) SELECT id, 'Onboarding' FROM organizations WHERE name = 'Demo';
INSERT INTO tasks (project_id, title, status)
SELECT p.id, t.title, t.status::task_status
FROM projects p, (VALUES ('Invite your team', 'todo'), ('Create a project', 'done')) AS t (title, status)
WHERE p.name = 'Onboarding';
""", "DELETE FROM projects WHERE name = 'Onboarding';\n"),
    ("add_task_due_date", "ALTER TABLE tasks ADD COLUMN due_on date;\n", "ALTER TABLE tasks DROP COLUMN due_on;\n"),
    ("create_comments", """\
CREATE TABLE comments (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    task_id bigint NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    author_id bigint NOT NULL REFERENCES users (id),
    body text NOT NULL CHECK (length(body) > 0),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX comments_task_idx ON comments (task_id, created_at);
""", "DROP TABLE comments;\n"),
    ("create_tags", """\
CREATE TABLE tags (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    label text NOT NULL,
    UNIQUE (organization_id, label)
);
CREATE TABLE task_tags (
    task_id bigint NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    tag_id bigint NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (task_id, tag_id)
);
""", "DROP TABLE task_tags;\nDROP TABLE tags;\n"),
    ("add_users_display_name", """\
ALTER TABLE users ADD COLUMN display_name text;
UPDATE users SET display_name = split_part(full_name, ' ', 1);
""", "ALTER TABLE users DROP COLUMN display_name;\n"),
    ("users_display_name_not_null", "ALTER TABLE users ALTER COLUMN display_name SET NOT NULL;\n", "ALTER TABLE users ALTER COLUMN display_name DROP NOT NULL;\n"),
    ("add_task_status_blocked", "ALTER TYPE task_status ADD VALUE 'blocked' AFTER 'doing';\n", ""),
    ("create_audit_log", """\
CREATE TABLE audit_log (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    table_name text NOT NULL,
    row_id bigint NOT NULL,
    action text NOT NULL CHECK (action IN ('insert', 'update', 'delete')),
    at timestamptz NOT NULL DEFAULT now()
);
""", "DROP TABLE audit_log;\n"),
    ("audit_trigger_function", """\
CREATE FUNCTION audit_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO audit_log (table_name, row_id, action)
    VALUES (TG_TABLE_NAME, COALESCE(NEW.id, OLD.id), lower(TG_OP));
    RETURN COALESCE(NEW, OLD);
END;
$$;
""", "DROP FUNCTION audit_row();\n"),
    ("audit_tasks", """\
CREATE TRIGGER tasks_audit AFTER INSERT OR UPDATE OR DELETE ON tasks
FOR EACH ROW EXECUTE FUNCTION audit_row();
""", "DROP TRIGGER tasks_audit ON tasks;\n"),
    ("create_open_tasks_view", """\
CREATE VIEW open_tasks AS
SELECT t.id, t.title, t.status, p.name AS project, p.organization_id
FROM tasks t JOIN projects p ON p.id = t.project_id
WHERE t.status <> 'done' AND NOT p.archived;
""", "DROP VIEW open_tasks;\n"),
    ("add_plan_price", """\
ALTER TABLE plans ADD COLUMN price_cents integer NOT NULL DEFAULT 0 CHECK (price_cents >= 0);
UPDATE plans SET price_cents = 1200 WHERE code = 'team';
INSERT INTO plans (code, title, seats, price_cents) VALUES ('business', 'Business', 200, 4900);
""", "DELETE FROM plans WHERE code = 'business';\nALTER TABLE plans DROP COLUMN price_cents;\n"),
    ("rename_tasks_title", """\
ALTER TABLE tasks RENAME COLUMN title TO summary;
CREATE OR REPLACE VIEW open_tasks AS
SELECT t.id, t.summary AS title, t.status, p.name AS project, p.organization_id
FROM tasks t JOIN projects p ON p.id = t.project_id
WHERE t.status <> 'done' AND NOT p.archived;
""", "ALTER TABLE tasks RENAME COLUMN summary TO title;\n"),
    ("create_invitations", """\
CREATE TABLE invitations (
    token uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    email text NOT NULL,
    role member_role NOT NULL DEFAULT 'member',
    expires_at timestamptz NOT NULL DEFAULT now() + interval '7 days'
);
CREATE UNIQUE INDEX invitations_pending_email ON invitations (organization_id, lower(email));
""", "DROP TABLE invitations;\n"),
    ("add_projects_description", "ALTER TABLE projects ADD COLUMN description text NOT NULL DEFAULT '';\n", "ALTER TABLE projects DROP COLUMN description;\n"),
    ("archive_old_projects", "UPDATE projects SET archived = true WHERE name LIKE 'Old %';\n", "SELECT 1;\n"),
    ("create_attachments", """\
CREATE TABLE attachments (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    task_id bigint NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    file_name text NOT NULL,
    size_bytes bigint NOT NULL CHECK (size_bytes >= 0),
    content_type text
);
""", "DROP TABLE attachments;\n"),
    ("tasks_due_index", "CREATE INDEX tasks_due_idx ON tasks (due_on) WHERE due_on IS NOT NULL;\n", "DROP INDEX tasks_due_idx;\n"),
    ("attachments_content_type_default", """\
UPDATE attachments SET content_type = 'application/octet-stream' WHERE content_type IS NULL;
ALTER TABLE attachments ALTER COLUMN content_type SET DEFAULT 'application/octet-stream';
ALTER TABLE attachments ALTER COLUMN content_type SET NOT NULL;
""", "ALTER TABLE attachments ALTER COLUMN content_type DROP NOT NULL;\nALTER TABLE attachments ALTER COLUMN content_type DROP DEFAULT;\n"),
    ("create_reporting_schema", """\
CREATE SCHEMA reporting;
CREATE VIEW reporting.tasks_per_org AS
SELECT p.organization_id, t.status, count(*) AS tasks
FROM tasks t JOIN projects p ON p.id = t.project_id
GROUP BY p.organization_id, t.status;
""", "DROP SCHEMA reporting CASCADE;\n"),
    ("drop_users_full_name", """\
ALTER TABLE users DROP COLUMN full_name;
""", "ALTER TABLE users ADD COLUMN full_name text NOT NULL DEFAULT '';\n"),
    ("comments_edited_at", "ALTER TABLE comments ADD COLUMN edited_at timestamptz;\n", "ALTER TABLE comments DROP COLUMN edited_at;\n"),
    ("memberships_joined_at", """\
ALTER TABLE memberships ADD COLUMN joined_at timestamptz;
UPDATE memberships SET joined_at = now();
ALTER TABLE memberships ALTER COLUMN joined_at SET NOT NULL;
ALTER TABLE memberships ALTER COLUMN joined_at SET DEFAULT now();
""", "ALTER TABLE memberships DROP COLUMN joined_at;\n"),
)

SEED = """\
INSERT INTO organizations (name, plan_code) VALUES ('Acme', 'team'), ('Globex', 'business');
INSERT INTO users (email, display_name) VALUES ('ada@acme.test', 'Ada'), ('bob@globex.test', 'Bob');
INSERT INTO memberships (organization_id, user_id, role)
SELECT o.id, u.id, 'owner' FROM organizations o JOIN users u ON split_part(u.email, '@', 2) = lower(o.name) || '.test';
INSERT INTO projects (organization_id, name) SELECT id, 'Launch' FROM organizations;
INSERT INTO tasks (project_id, summary, status) SELECT id, 'Write the plan', 'doing' FROM projects;
"""


def migration_id(index: int, name: str) -> str:
    return f"20260105{9:02d}{index // 60:02d}{index % 60:02d}_{name}"


def write_project(root: Path) -> list[str]:
    """Write the migrations (and down.sql where there is one) and seed.sql; returns the ids in order."""
    ids = []
    for index, (name, sql, down) in enumerate(MIGRATIONS):
        folder = root / "migrations" / migration_id(index, name)
        folder.mkdir(parents=True)
        (folder / "migration.sql").write_text(sql)
        if down:
            (folder / "down.sql").write_text(down)
        ids.append(folder.name)
    (root / "seed.sql").write_text(SEED)
    return ids
