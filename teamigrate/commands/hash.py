"""`teamigrate hash`: teamigrate.sum rewritten from the migrations as they are now, after an intended edit."""

from __future__ import annotations

from teamigrate import output
from teamigrate.config import Config
from teamigrate.history.sumfile import write_sum_file
from teamigrate.workspace.project import migration_directory


def rewrite_sum(config: Config) -> int:
    directory = migration_directory(config)
    written = write_sum_file(directory)
    output.line(f"wrote {directory.label}/{directory.sum_path.name} ({output.count(len(written.lines), 'migration')})")
    return 0
