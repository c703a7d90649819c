"""How `make test` shares the suite between processes (pytest-xdist, `--dist loadfile`).

A module's tests stay on one process, so its module-scoped warehouses and runs are built
once. So does the whole of tests/reliability: its session-scoped runs (the reference run,
the bad week, the disk-full scenario, three runs side by side) would otherwise be made
again on every process that took one of its modules. (xdist's own way to group, the
`xdist_group` mark under `--dist loadgroup`, is lost on pytest 9.2: it renames a test by
an attribute pytest no longer reads.)

The figures the reliability tests measure travel from the process that ran them to the
one that prints the session's summary.
"""

from __future__ import annotations

import pytest

from tests.figures import FIGURES

RELIABILITY = "tests/reliability/"
_FIGURES_KEY = "reliability_figures"


@pytest.hookimpl(tryfirst=True, optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class ModulesAndReliability(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = super()._split_scope(nodeid)
            return RELIABILITY if module.startswith(RELIABILITY) else module

    return ModulesAndReliability(config, log)


def pytest_sessionfinish(session):
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput[_FIGURES_KEY] = {name: str(value) for name, value in FIGURES.items()}


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    FIGURES.update(getattr(node, "workeroutput", {}).get(_FIGURES_KEY, {}))


def pytest_terminal_summary(terminalreporter):
    if FIGURES:
        terminalreporter.section("reliability figures")
        for name, value in FIGURES.items():
            terminalreporter.write_line(f"{name}: {value}")
