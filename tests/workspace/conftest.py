"""Fixtures the workspace tests share with the commands' tests."""

from tests.commands.conftest import dev_project  # noqa: F401
