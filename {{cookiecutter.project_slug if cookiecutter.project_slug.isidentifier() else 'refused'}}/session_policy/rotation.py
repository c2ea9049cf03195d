"""Rotation of the session key, with one successor per key however many requests race.

Of several requests that carry the same key when it is due, each makes a new
key, but only one wins the compare-and-swap on the key's index entry
(registry.rekey). The others delete the key they made, mark the old one as
ended and ask the browser to repeat the request (retry): by then it holds the
winner's key. A revocation that lands first leaves no entry to swap, so every
racer gives up and nothing survives it.
"""

from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpResponseRedirect

from session_policy import audit, registry, state
from session_policy.conf import policy


def rotation_due(session_state, now):
    return now - session_state["rotated"] >= policy().rotation_interval


def rotate(request, now, *, reason):
    """Give the session a new key, deleting the old one; return False if another request got there first."""
    old_key = request.session.session_key
    request.session.cycle_key()
    if not adopt_new_key(request, old_key):
        return False
    state.update(request, rotated=now)
    audit.record("rotation", request, reason=reason)
    return True


def adopt_new_key(request, old_key):
    """Move the index to the key the session was just given; return False if the race was lost.

    Also for keys Django itself cycles, as it does for a session signed with
    a key in SECRET_KEY_FALLBACKS.
    """
    if registry.rekey(old_key, request.session.session_key):
        return True
    request.session.delete()
    # A copy of the old key that a cache or a racing save brought back is refused too.
    registry.mark_ended({request.user.pk: [old_key]})
    request.session = Abandoned()
    return False


def follow_key_change(request, old_key):
    """Move the index to a key a view gave the session; end the session if it was revoked meanwhile."""
    new_key = request.session.session_key
    if not registry.rekey(old_key, new_key) and not registry.is_indexed(new_key):
        request.session.flush()


def retry(request):
    """Answer a request that lost the race: the browser repeats it, with the same method and body."""
    return HttpResponseRedirect(request.get_full_path(), preserve_request=True)


class Abandoned(SessionBase):
    """The session of a request that lost its key to a racing request.

    Never saved and never empty, so SessionMiddleware neither stores it nor
    sets or deletes a cookie: the browser keeps the winner's. Accessed, so
    the answer still varies on Cookie.
    """

    modified = property(lambda self: False, lambda self, value: None)

    def __init__(self):
        super().__init__()
        self.accessed = True

    def is_empty(self):
        return False

    def load(self):
        return {}

    def exists(self, session_key):
        return False

    def create(self):
        pass

    def save(self, must_create=False):
        pass

    def delete(self, session_key=None):
        pass
