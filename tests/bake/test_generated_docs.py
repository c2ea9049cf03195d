"""The generated docs are true for every answer: counts read naturally, every file they cite exists."""

import re

import pytest
import yaml

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


# Claims true of the Redis engines and false of `session_engine=db`, whose
# project runs no Redis: each names Redis as holding sessions or as needed.
# Redis as an option a team may add (REDIS_URL, Sentinel) is not among them.
REDIS_CLAIMS = {
    "sessions live in Redis": re.compile(r"sessions live in Redis", re.IGNORECASE),
    "Redis holds the sessions": re.compile(r"Redis holds (?:sessions|the only copy)"),
    "hosts share a Redis": re.compile(r"sharing one PostgreSQL and one Redis"),
    "run Redis with PostgreSQL": re.compile(r"Run PostgreSQL and Redis where"),
    "tests run on Redis": re.compile(r"tests on PostgreSQL and Redis|PostgreSQL and Redis, as CI does"),
    "compose configures Redis": re.compile(r"`compose\.yaml` configures (?:its )?Redis"),
    "Redis password to fill in": re.compile(r"\| `REDIS_PASSWORD` \| the Redis password \|"),
    "Redis outage row": re.compile(r"^\| Redis, single server \|", re.MULTILINE),
    "second factor needs Redis": re.compile(r"Second-factor codes need Redis"),
}
# Where a reader of the project meets those claims.
TEXT_FILES = ["README.md", "docs/deployment.md", "docs/session-policy.md", "Caddyfile", ".env.example"]


def claims_in(project):
    """Every (file, claim) of REDIS_CLAIMS the project's text files make."""
    return sorted(
        (name, claim)
        for name in TEXT_FILES
        for claim, pattern in REDIS_CLAIMS.items()
        if pattern.search((project / name).read_text(encoding="utf-8"))
    )


def test_the_redis_claims_are_made_where_redis_runs(bake_project):
    # Each claim is looked for in words the Redis engines' docs really use,
    # so its absence below means something.
    made = {claim for _, claim in claims_in(bake_project(session_engine="cached_db"))}

    assert made == set(REDIS_CLAIMS)


def test_db_sessions_get_docs_that_need_no_redis(bake_project):
    project = bake_project(session_engine="db")
    deployment = (project / "docs/deployment.md").read_text(encoding="utf-8")

    assert claims_in(project) == []
    # Redis stays on offer, as an option, with its settings.
    assert "## Optional: Redis for the cache" in deployment
    assert "`REDIS_SENTINELS`" in deployment


def test_db_sessions_get_a_ci_without_redis(bake_project):
    workflow = yaml.safe_load((bake_project(session_engine="db") / ".github/workflows/ci.yml").read_text())
    job = workflow["jobs"]["test"]

    assert sorted(job["services"]) == ["postgres"]
    assert not any(name.startswith("REDIS") for name in job["env"])
    assert [step["name"] for step in job["steps"] if "pytest" in step.get("run", "")] == ["Test on PostgreSQL"]
