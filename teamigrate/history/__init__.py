"""Migration history: folders, teamigrate.sum, the history table, applying and rolling back.

Modules (each documents its public API):

- `migrations`: `Migration`, `MigrationDirectory`, `migrations_from_files`, `new_migration_id`, `inside_project`.
- `sumfile`: `SumFile`, `verify`, `parse_conflicted`, `write_sum_file`, `write_atomically`.
- `table`: `HistoryTable`, `HistoryRow` (with `locked()`, the lock every history writer holds).
- `apply`: `execute_migration_sql`, `apply_migration`, `rollback_migration`, `replay`, `MigrationFailed`.
- `states`: pure `migration_states`, `blocking_problem`, `pending`.
- `checkout`: `checked_out_migrations(config)`, `open_target(config)`.
- `deploy`, `status`, `resolve`: the verbs.
"""
