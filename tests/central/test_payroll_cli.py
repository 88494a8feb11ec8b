"""The wage side's commands: documented, the first admin from ``users add``, clean refusals."""

from pathlib import Path

import pytest
from factories import new_db, registered_project
from typer.testing import CliRunner

from central.auth.users import login
from central.cli.app import app

runner = CliRunner()


@pytest.mark.parametrize(
    "command",
    [
        ["users", "add"],
        ["payroll", "compute"],
        ["payroll", "close"],
        ["payroll", "approve"],
        ["payroll", "export"],
        ["payroll", "import-result"],
        ["payroll", "warnings"],
    ],
)
def test_every_wage_command_has_help(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0 and "Usage" in result.output
    assert len(result.output.split("Usage", 1)[1].splitlines()) > 3


def test_users_add_creates_a_login_and_refuses_bad_input(tmp_path: Path) -> None:
    db = str(tmp_path / "central.db")
    args = ["users", "add", "--username", "root", "--role", "admin", "--db", db]
    made = runner.invoke(app, args, input="long enough pw\nlong enough pw\n")
    assert made.exit_code == 0, made.output
    assert "user root added with role admin" in made.output
    again = runner.invoke(app, args, input="long enough pw\nlong enough pw\n")
    assert again.exit_code == 1 and "already exists" in again.output
    worker = runner.invoke(
        app,
        [
            "users",
            "add",
            "--username",
            "worker1",
            "--role",
            "worker",
            "--password-file",
            "-",
            "--db",
            db,
        ],
        input="long enough pw\n",
    )
    assert worker.exit_code == 1 and "needs worker_id" in worker.output
    from central.storage import Database

    database = Database(db)
    token, _expires, who = login(database, "root", "long enough pw")
    assert len(token) > 30 and who.role.value == "admin"
    database.close()


def test_closing_a_month_names_the_silent_gate(tmp_path: Path) -> None:
    db, sealer = new_db(tmp_path)
    registered_project(db, sealer, "site-a", gates=("gate-east",))
    db.close()
    result = runner.invoke(
        app,
        [
            "payroll",
            "close",
            "--project",
            "site-a",
            "--period",
            "2025-06",
            "--db",
            str(tmp_path / "central.db"),
        ],
    )
    assert result.exit_code == 1
    assert "silent gates: gate-east (last heard never)" in result.output


def test_every_group_turns_a_refusal_into_one_line_and_exit_1(tmp_path: Path) -> None:
    """One error wrapper (central/cli/errors.py) for every command, not one per command."""
    import typer
    from typer.core import TyperGroup

    from central.cli.errors import CliErrors

    group = typer.main.get_group(app)
    groups = [group, *(c for c in group.commands.values() if isinstance(c, TyperGroup))]
    assert len(groups) >= 5 and all(isinstance(g, CliErrors) for g in groups)
    db = str(tmp_path / "central.db")
    for args in (
        ["payroll", "approve", "999"],
        ["payroll", "compute", "--project", "nowhere", "--month", "2025-06"],
    ):
        result = runner.invoke(app, [*args, "--db", db])
        assert result.exit_code == 1, result.output
        assert result.output.startswith("error: ") and "not found" in result.output
        assert "Traceback" not in result.output
