"""The developer workflow: generate migrations, keep the local database in step, undo, squash, baseline.

Modules, one per verb (each exposes one function the CLI calls):
`new`, `dev`, `push`, `reset`, `seed`, `rollback`, `squash`, `baseline`;
and the parts they share: `drafting` (proven forward and reverse SQL
between two databases), `folders` (writing migration folders and
teamigrate.sum atomically), `drift` (the local database against its applied
history), `replay` (history replayed in the shadow with a progress bar),
`interaction` (questions, only on a terminal).
"""
