"""Pages that belong to no app."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def home(request):
    """Show who is signed in."""
    return render(request, "home.html")
