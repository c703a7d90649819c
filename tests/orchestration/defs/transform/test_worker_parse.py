"""When a dbt build forked from `ketreg worker` may start from the worker's parse."""

from __future__ import annotations

import pytest

from orchestration.defs.transform.worker_parse import ParsedProject

BUILD = ["build", "--exclude-resource-type", "unit_test", "--select", "fqn:*"]


@pytest.fixture
def parsed(monkeypatch) -> ParsedProject:
    monkeypatch.setenv("KETREG_WAREHOUSE", "/home/registry/warehouse.duckdb")
    monkeypatch.setenv("DBT_PROJECT_DIR", "/srv/ketreg/dbt_project")
    monkeypatch.delenv("KETREG_SITE_SCHEMA", raising=False)
    return ParsedProject(manifest=object(), environment={
        "KETREG_WAREHOUSE": "/home/registry/warehouse.duckdb",
        "DBT_PROJECT_DIR": "/srv/ketreg/dbt_project",
        "KETREG_SITE_SCHEMA": None,  # read by the parse, and unset then
    })


def test_a_build_in_the_environment_of_the_parse_starts_from_it(parsed):
    assert parsed.fits(BUILD)
    assert parsed.fits([*BUILD, "--full-refresh", "--exclude", "fqn:ketreg.seeds"])


@pytest.mark.parametrize("name, value", [
    ("KETREG_WAREHOUSE", "/tmp/elsewhere.duckdb"),
    ("DBT_PROJECT_DIR", "/srv/other/dbt_project"),
    ("KETREG_SITE_SCHEMA", "site_a"),
])
def test_another_environment_parses_again(parsed, monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    assert not parsed.fits(BUILD)


def test_a_variable_the_parse_read_and_that_is_gone_parses_again(parsed, monkeypatch):
    monkeypatch.delenv("KETREG_WAREHOUSE")
    assert not parsed.fits(BUILD)


@pytest.mark.parametrize("option", [["--vars", "{as_of: 2026-01-01}"], ["--target=ci"],
                                    ["-t", "ci"], ["--profile", "other"],
                                    ["--project-dir", "/srv/other"]])
def test_an_option_that_shapes_a_parse_parses_again(parsed, option):
    assert not parsed.fits([*BUILD, *option])


@pytest.mark.parametrize("command", [["parse"], ["run"], ["compile"], []])
def test_only_a_build_starts_from_it(parsed, command):
    assert not parsed.fits(command)
