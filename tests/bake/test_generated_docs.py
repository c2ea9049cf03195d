"""The generated docs are true for every answer: counts read naturally, every file they cite exists."""

import re

import pytest

# The ends of every range the docs print a count of, and the defaults.
ANSWER_SETS = {
    "defaults": {},
    "ones": {
        "session_idle_timeout_minutes": 1,
        "session_absolute_timeout_hours": 1,
        "session_rotation_minutes": 1,
        "trusted_proxy_count": 1,
    },
    "longest": {
        "session_idle_timeout_minutes": 1440,
        "session_absolute_timeout_hours": 720,
        "session_rotation_minutes": 1440,
        "trusted_proxy_count": 10,
    },
}
UNITS = "seconds|minutes|hours|days|weeks|proxies|entries|requests|sessions|keys|times"
# "1 minutes", but not "0.1 minutes", "11 minutes" or "1,000 requests".
ONE_WITH_A_PLURAL = re.compile(rf"(?<![\d.,])1 (?:{UNITS})\b")
# Files cited as `path/name.ext` or as relative links [text](path/name.ext#anchor).
CITED_FILE = re.compile(
    r"`([\w.{}/-]+\.(?:py|md|ya?ml|toml|lock|js|css|html|txt|json|cfg|ini|sh|example))`"
    r"|\]\((?!\w+:)([^)#\s]+)"
)
# Written by a tool the docs tell the reader to run, not by the generator.
WRITTEN_LATER = {".cruft.json"}


@pytest.fixture(scope="module", params=list(ANSWER_SETS))
def docs(request, bake_project):
    """The project and its Markdown files, for one answer set."""
    project = bake_project(**ANSWER_SETS[request.param])
    return project, sorted(project.rglob("*.md"))


def test_counts_read_naturally(docs):
    project, files = docs

    unnatural = [
        f"{path.relative_to(project)}:{number}: {line.strip()}"
        for path in files
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if ONE_WITH_A_PLURAL.search(line)
    ]

    assert unnatural == []


def test_every_file_the_docs_cite_exists_in_the_project(docs):
    project, files = docs

    missing = [
        f"{path.relative_to(project)}: {cited}"
        for path in files
        for match in CITED_FILE.finditer(path.read_text(encoding="utf-8"))
        for cited in [match.group(1) or match.group(2)]
        if cited not in WRITTEN_LATER and not (project / cited).exists() and not (path.parent / cited).exists()
    ]

    assert missing == []
