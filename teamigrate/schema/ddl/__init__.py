"""The DDL renderer: every statement and fragment of SQL the differ produces, one module per kind family."""

from __future__ import annotations

from teamigrate.schema.ddl.columns import (
    add_column,
    add_identity,
    alter_column_type,
    alter_identity,
    column_definition,
    default_not_null_name,
    drop_column,
    drop_default,
    drop_expression,
    drop_identity,
    drop_not_null,
    identity_clause,
    set_default,
    set_not_null,
    set_statistics,
    set_storage,
    storage_keyword,
)
from teamigrate.schema.ddl.constraints import (
    add_constraint,
    create_policy,
    index_definition,
    is_not_valid,
    is_unique_index,
    only_validated,
    rename_constraint,
    validate_constraint,
)
from teamigrate.schema.ddl.objects import (
    by_hand,
    column_reference,
    comment_statement,
    create_extension,
    create_schema,
    domain_check_reference,
    drop_statement,
    grant_statement,
    grant_target,
    object_reference,
    set_extension_schema,
    update_extension,
)
from teamigrate.schema.ddl.routines import (
    create_function,
    create_trigger,
    create_view,
    trigger_state,
)
from teamigrate.schema.ddl.sequences import (
    alter_sequence,
    create_sequence,
    sequence_option_clauses,
    sequence_owned_by,
)
from teamigrate.schema.ddl.tables import (
    attach_partition,
    create_table,
    detach_partition,
    drop_constraint,
    drop_index,
    force_row_level_security,
    inherit,
    no_inherit,
    replica_identity,
    reset_options,
    row_level_security,
    set_logged,
    set_options,
)
from teamigrate.schema.ddl.types import (
    add_domain_check,
    add_enum_value,
    alter_domain_default,
    alter_domain_not_null,
    create_collation,
    create_type,
    drop_domain_check,
    rename_type,
)

__all__ = [
    "add_column", "add_constraint", "by_hand", "add_domain_check", "add_enum_value", "add_identity", "alter_column_type",
    "alter_domain_default", "alter_domain_not_null", "alter_identity", "alter_sequence", "attach_partition",
    "column_definition", "column_reference", "comment_statement", "create_collation", "create_extension", "create_function",
    "create_policy", "create_schema", "create_sequence", "create_table", "create_trigger", "create_type",
    "create_view", "default_not_null_name", "detach_partition", "domain_check_reference", "drop_constraint", "drop_index", "drop_column",
    "drop_default", "drop_domain_check", "drop_expression", "drop_identity", "drop_not_null", "drop_statement",
    "force_row_level_security", "grant_statement", "grant_target", "identity_clause", "index_definition", "inherit",
    "is_not_valid", "is_unique_index", "no_inherit", "object_reference", "only_validated", "rename_constraint",
    "rename_type", "replica_identity", "reset_options", "row_level_security", "sequence_option_clauses",
    "sequence_owned_by", "set_default", "set_extension_schema", "set_logged", "set_not_null", "set_options",
    "set_statistics", "set_storage", "storage_keyword", "trigger_state", "update_extension", "validate_constraint",
]
