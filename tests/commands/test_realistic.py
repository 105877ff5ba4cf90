"""A realistic project (32 hand-written migrations with data) through dev, squash, reset and seed."""

from __future__ import annotations

import json

from tests.conftest import Project
from tests.commands.conftest import migration_folders, run_on_a_terminal, schema_dump
from tests.commands.realistic_project import write_project

WEBHOOKS = """
CREATE TABLE webhooks (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    url text NOT NULL CHECK (url LIKE 'https://%'),
    active boolean NOT NULL DEFAULT true
);
"""


def states(project: Project) -> dict[str, str]:
    return {m["id"]: m["state"] for m in json.loads(project.ok("status", "--json").stdout)["migrations"]}


def test_dev_squash_reset_seed(project: Project) -> None:
    ids = write_project(project.root)
    assert len(ids) >= 30
    config = project.root / "teamigrate.yaml"
    config.write_text(config.read_text().replace("# seed: seed.sql", "seed: seed.sql", 1))
    project.ok("hash")

    # A team that wrote migrations by hand: dev applies them all.
    applied = project.ok("dev")
    assert f"applied {len(ids)} migrations" in applied.stdout
    assert project.sql("SELECT code FROM plans ORDER BY code") == [("business",), ("free",), ("team",)]
    assert project.sql("SELECT summary FROM tasks ORDER BY summary") == [("Create a project",), ("Invite your team",)]

    # It adopts schema.sql (written from its history), then changes it: dev writes and applies the migration.
    project.write("schema.sql", project.ok("diff", "--from", "empty", "--to", "migrations").stdout)
    config.write_text(config.read_text().replace("# schema: schema.sql", "schema: schema.sql", 1))
    assert "up to date" in project.ok("dev").stdout
    project.write("schema.sql", (project.root / "schema.sql").read_text() + WEBHOOKS)
    project.ok("dev", "--name", "add webhooks")
    ids = migration_folders(project.root)
    assert ids[-1].endswith("_add_webhooks") and len(ids) == 33
    full = schema_dump(project.database_url)

    # Squash the first 30; on a terminal, the long replay shows a progress bar.
    code, stdout, terminal = run_on_a_terminal(project, "squash", "--to", ids[29], "--name", "squash 2026 q1")
    assert code == 0, stdout + terminal
    assert "replaying" in terminal
    assert "changes data" in terminal and "insert_demo_organization" in terminal
    squash_id = f"{ids[29].split('_')[0]}_squash_2026_q1"
    assert migration_folders(project.root) == [squash_id, *ids[30:]]
    assert set(states(project).values()) == {"applied"}
    assert "nothing to deploy" in project.ok("deploy").stdout
    assert "up to date" in project.ok("dev").stdout

    # As the squash warned, the plans its range inserted go into a data migration of their own.
    project.ok("new", "reference plans", "--empty")
    data_migration = migration_folders(project.root)[-1]
    project.write(f"migrations/{data_migration}/migration.sql", (
        "INSERT INTO plans (code, title, seats, price_cents) VALUES\n"
        "    ('free', 'Free', 3, 0), ('team', 'Team', 25, 1200), ('business', 'Business', 200, 4900)\n"
        "ON CONFLICT (code) DO NOTHING;\n"
    ))
    project.ok("hash")
    assert "applied 1 migration" in project.ok("dev").stdout

    # Reset rebuilds from the squashed history and seeds.
    reset = project.ok("reset", "--yes")
    assert f"applied {len(ids) - 28} migrations" in reset.stdout
    assert "seeded" in reset.stdout
    assert schema_dump(project.database_url) == full
    assert project.sql("SELECT code FROM plans ORDER BY code") == [("business",), ("free",), ("team",)]
    assert project.sql("SELECT name FROM organizations ORDER BY name") == [("Acme",), ("Globex",)]
    assert project.sql("SELECT count(*) FROM audit_log WHERE table_name = 'tasks'") == [(2,)]  # the trigger survived the squash
    assert set(states(project).values()) == {"applied"}

    project.ok("reset", "--yes", "--skip-seed")
    assert project.sql("SELECT count(*) FROM organizations") == [(0,)]
    project.ok("seed")
    assert project.sql("SELECT email FROM users ORDER BY email") == [("ada@acme.test",), ("bob@globex.test",)]
