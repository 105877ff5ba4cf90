"""Pure planners over plain values (ids, rows, changes): rebase, sync, squash, rollback, and the conflicts between two branches' changes. No database, no git, no files."""
