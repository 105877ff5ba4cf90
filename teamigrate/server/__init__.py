"""The PostgreSQL servers teamigrate runs or borrows: the embedded cluster, a shadow_pg_bin cluster, a shadow_database_url server. It knows no schema and no history."""
