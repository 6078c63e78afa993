"""`leadbridge --help` and simple commands start fast: they load only what they use."""

from __future__ import annotations

import json
import subprocess
import sys
from contextlib import nullcontext
from importlib import import_module
from pathlib import Path

import pytest
import typer
from sqlalchemy import create_engine
from typer.testing import CliRunner

from leadbridge.cli.lazy import LazyCommands
from leadbridge.cli.main import COMMANDS, app
from leadbridge.cli.sandbox import DEFAULT_DATA_DIR
from leadbridge.sandbox.backend import DEFAULT_DATA_DIR as SANDBOX_DEFAULT
from leadbridge.store.database import open_database
from leadbridge.store.migrate import head_revision, is_at_head
from leadbridge.store.schema_head import quick_head

HEAVY = ("sqlalchemy", "simple_salesforce", "fastapi", "uvicorn", "faker", "alembic", "zeep")


def _running(argv: list[str]) -> str:
    """Python code that runs `leadbridge ARGV` in-process."""
    return (
        "from leadbridge.cli.main import app\n"
        f"try:\n    app({argv!r})\nexcept SystemExit:\n    pass"
    )


def _modules_after(code: str, home: Path, *, full: bool = False) -> set[str]:
    """The top-level packages (or with `full`, the modules) loaded by `code`, run in a fresh
    interpreter."""
    script = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env={"LEADBRIDGE_HOME": str(home), "PATH": "/usr/bin:/bin"},
        check=True,
        timeout=60,
    )
    last = done.stdout.strip().splitlines()[-1]
    names = set(json.loads(last))
    return names if full else {name.split(".")[0] for name in names}


def test_help_loads_no_database_salesforce_web_or_sandbox_code(tmp_path: Path) -> None:
    code = _running(["--help"])
    loaded = _modules_after(code, tmp_path)
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_a_simple_command_loads_neither_alembic_nor_salesforce_nor_the_web(
    tmp_path: Path,
) -> None:
    open_database(f"sqlite:///{tmp_path / 'leadbridge.sqlite3'}").dispose()  # at head
    code = _running(["users", "list"])
    loaded = _modules_after(code, tmp_path)
    assert "sqlalchemy" in loaded  # it did read the database
    unwanted = {"alembic", "simple_salesforce", "zeep", "fastapi", "uvicorn", "faker"}
    assert not loaded & unwanted, sorted(loaded & unwanted)


def test_help_lists_every_command_without_loading_one(tmp_path: Path) -> None:
    code = _running(["--help"])
    loaded = {name for name in _modules_after(code, tmp_path, full=True) if ".cli." in name}
    modules = {entry.target.partition(":")[0] for entry in COMMANDS.values()}
    assert not loaded & (modules - {"leadbridge.cli.main"}), sorted(loaded & modules)


def test_help_from_summaries_is_the_help_of_the_loaded_commands(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    runner = CliRunner()
    lazy = runner.invoke(app, ["--help"], env={"COLUMNS": "100"})
    monkeypatch.setattr(LazyCommands, "summaries", lambda self: nullcontext())
    loaded = runner.invoke(app, ["--help"], env={"COLUMNS": "100"})
    assert lazy.exit_code == loaded.exit_code == 0
    assert lazy.output == loaded.output
    for name, entry in COMMANDS.items():
        assert name in lazy.output
        assert entry.summary.split()[0] in lazy.output


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_summary_is_one_line_and_a_group_s_is_its_own_help(name: str) -> None:
    entry = COMMANDS[name]
    assert "\n" not in entry.summary and len(entry.summary) <= 90
    module_name, _, attribute = entry.target.partition(":")
    found = getattr(import_module(module_name), attribute)
    if isinstance(found, typer.Typer):  # its own `--help` opens with the same words
        assert found.info.help == entry.summary


def test_a_group_s_help_shows_each_command_on_one_line_of_words() -> None:
    result = CliRunner().invoke(app, ["prospects", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assign = next(line for line in result.output.splitlines() if " assign " in line)
    assert "choose." in assign  # the docstring's line break is not kept


def test_listing_prospects_on_a_database_at_head_reads_it_without_sqlalchemy(
    tmp_path: Path,
) -> None:
    open_database(f"sqlite:///{tmp_path / 'leadbridge.sqlite3'}").dispose()  # at head
    code = _running(["prospects", "list"])
    loaded = _modules_after(code, tmp_path)
    assert not loaded & {"sqlalchemy", "alembic"}, sorted(loaded & {"sqlalchemy", "alembic"})


def test_listing_prospects_in_a_new_home_creates_its_database(tmp_path: Path) -> None:
    code = _running(["prospects", "list"])
    loaded = _modules_after(code, tmp_path)
    assert "sqlalchemy" in loaded  # the full path: it created and migrated the database
    assert (tmp_path / "leadbridge.sqlite3").is_file()


def test_a_command_loads_its_own_group_only(tmp_path: Path) -> None:
    open_database(f"sqlite:///{tmp_path / 'leadbridge.sqlite3'}").dispose()
    code = _running(["users", "list"])
    loaded = {name for name in _modules_after(code, tmp_path, full=True) if ".cli." in name}
    assert "leadbridge.cli.users" in loaded
    assert not loaded & {"leadbridge.cli.sync", "leadbridge.cli.rules", "leadbridge.cli.serve"}


def test_the_cli_default_sandbox_folder_is_the_sandbox_s_own() -> None:
    assert DEFAULT_DATA_DIR == SANDBOX_DEFAULT


def test_thequick_head_is_alembic_s_head() -> None:
    assert quick_head() == head_revision()


def test_is_at_head_only_for_a_database_at_head(tmp_path: Path) -> None:
    empty = create_engine(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    assert is_at_head(empty) is False  # no version table: Alembic decides
    db = open_database(f"sqlite:///{tmp_path / 'migrated.sqlite3'}")
    assert is_at_head(db.engine) is True
    with db.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '0001'")
    assert is_at_head(db.engine) is False
    db.dispose()
    empty.dispose()


@pytest.mark.parametrize("name", ["SalesforceClient", "CrmCredentials", "login_domain"])
def test_salesforce_names_load_on_first_use(name: str) -> None:
    import leadbridge.salesforce as salesforce

    assert getattr(salesforce, name).__name__ == name


def test_an_unknown_salesforce_name_is_an_attribute_error() -> None:
    import leadbridge.salesforce as salesforce

    with pytest.raises(AttributeError):
        _ = salesforce.NoSuchThing
