"""The README names its two commands, CI runs the test one, and the template's own code is clean."""

import re

from tests.support.commands import run, tool
from tests.support.template import TEMPLATE_DIR

README = (TEMPLATE_DIR / "README.md").read_text()
DEMO_COMMAND = "./scripts/demo"  # tests/e2e/test_demo.py runs it
TEST_COMMAND = "./scripts/test"


def test_the_readme_names_both_commands_and_ci_runs_the_test_command():
    commands = re.findall(r"^\s*(\./scripts/\w+)\s*$", README, flags=re.MULTILINE)

    assert DEMO_COMMAND in commands
    assert TEST_COMMAND in commands
    assert TEST_COMMAND in (TEMPLATE_DIR / ".ci" / "run").read_text()


def test_the_template_code_is_lint_clean():
    run([tool("ruff"), "check", "--no-cache", "hooks", "scripts", "tests"], cwd=TEMPLATE_DIR)
    run([tool("ruff"), "format", "--check", "--no-cache", "hooks", "scripts", "tests"], cwd=TEMPLATE_DIR)
