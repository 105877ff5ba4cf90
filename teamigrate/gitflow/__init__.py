"""Git: branches, merge bases, per-branch changes, rebase and sync of migration history."""
