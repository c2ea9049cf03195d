"""The email page (allauth's), where an address cannot be taken from someone else.

Notices, resets and the lockout's account lookup go to a user's primary
address. allauth lets a user add any address and, while none of theirs is
verified (always, with closed sign-up: ACCOUNT_EMAIL_VERIFICATION "none"),
make it primary unverified: another person's address, whose mailbox would
then receive that user's notices and reset links. Here:

- an address becomes primary only once verified, by the link mailed to it;
- an address another account has is not added: the page answers as for any
  other (the same "confirmation sent" message) and the address's owner gets
  allauth's "you already have an account" mail instead of a link, so the
  person adding it learns nothing from the answer and cannot verify it.
"""

from allauth.account import views as allauth_views
from allauth.account.adapter import get_adapter
from allauth.account.forms import AddEmailForm as AllauthAddEmailForm
from allauth.account.internal.flows.email_verification import send_verification_email_to_address
from allauth.account.models import EmailAddress
from django.contrib import messages
from django.contrib.auth import get_user_model


def held_by_another(user, email):
    """Whether an account other than user's has email, as its address or among its rows (case-insensitive)."""
    others = get_user_model().objects.exclude(pk=user.pk)
    return (
        others.filter(email__iexact=email).exists()
        or EmailAddress.objects.filter(email__iexact=email).exclude(user=user).exists()
    )


class AddEmailForm(AllauthAddEmailForm):
    def save(self, request):
        """Add the address, or, when another account has it, tell its owner and add nothing.

        Returns an unsaved EmailAddress then: allauth sends no "email added"
        signal for it (flows.manage_email.add_email).
        """
        email = self.cleaned_data["email"]
        if held_by_another(self.user, email):
            # user=None: allauth mails the owner "already has an account" and says "confirmation sent".
            send_verification_email_to_address(request, EmailAddress(email=email), signup=True)
            return EmailAddress(user=self.user, email=email)
        return super().save(request)


class EmailView(allauth_views.EmailView):
    def _action_primary(self, request, *args, **kwargs):
        """Make an address primary only once verified; allauth also allows it while none of the user's is."""
        email_address = self._get_email_address(request)
        if email_address is not None and not email_address.verified:
            get_adapter().add_message(request, messages.ERROR, "account/messages/unverified_primary_email.txt")
            return None  # the page again, as allauth answers a refusal
        return super()._action_primary(request, *args, **kwargs)
