"""
The page both projects serve, and the few files that put it in a baked project.

Both projects get the same view and the same template; only their settings
and middleware differ. The baked project keeps its settings, URLs and
templates: a settings module of the benchmark's imports them all and only
adds the page's URL and template directory.
"""

from pathlib import Path

PAGE = "/page/"
LOGIN = "/accounts/login/"
SETTINGS_MODULE = "benchmark_settings"

VIEW = '''"""The benchmark's page: the same view in both projects."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def page(request):
    return render(request, "benchmark_page.html")
'''

# The generated project's home page, flattened: nothing that needs its own
# context processors, URL names or static files.
TEMPLATE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Home</title>
</head>
<body>
  <header class="site-header">
    <nav aria-label="Account">
      <span>Signed in as <strong>{{ user.get_username }}</strong></span>
      <form method="post" action="/accounts/logout/">
        {% csrf_token %}
        <button type="submit">Sign out</button>
      </form>
    </nav>
  </header>
  <main id="main">
    <h1>Welcome, {{ user.get_username }}</h1>
    <p>You are signed in.</p>
  </main>
</body>
</html>
"""

PROJECT_SETTINGS = '''"""The project's own settings, plus the benchmark's page."""

# Every setting as deployed.
from {slug}.settings import *
from {slug}.settings import BASE_DIR, TEMPLATES

ROOT_URLCONF = "benchmark_urls"
TEMPLATES = [{{**TEMPLATES[0], "DIRS": [*TEMPLATES[0]["DIRS"], BASE_DIR / "benchmark_templates"]}}]
'''

PROJECT_URLS = """from django.urls import include, path

from benchmark_page import page

urlpatterns = [path("page/", page), path("", include("{slug}.urls"))]
"""


def add_page(project):
    """Write the page's view and template into a project directory."""
    (project / "benchmark_page.py").write_text(VIEW)
    templates = project / "benchmark_templates"
    templates.mkdir(exist_ok=True)
    (templates / "benchmark_page.html").write_text(TEMPLATE)
    return templates


def add_page_to_generated(project: Path):
    """Serve the page from a baked project under its own settings, URLs and middleware."""
    slug = project.name
    add_page(project)
    (project / f"{SETTINGS_MODULE}.py").write_text(PROJECT_SETTINGS.format(slug=slug))
    (project / "benchmark_urls.py").write_text(PROJECT_URLS.format(slug=slug))
