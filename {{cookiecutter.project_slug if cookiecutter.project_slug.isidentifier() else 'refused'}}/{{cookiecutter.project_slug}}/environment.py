"""Read settings from the environment, refusing values that do not parse.

django-environ turns any unrecognised boolean into ``False`` and lets a bad
integer escape as a bare ``ValueError``. A typo in ``DJANGO_HTTPS`` must not
switch HTTPS off silently, so every cast here is strict and every refusal
names the variable, the value and what is allowed.
"""

import ipaddress

import environ
from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})


class Env(environ.Env):
    """django-environ with strict booleans, bounded integers and choices."""

    def bool(self, var, default=environ.Env.NOTSET):
        value = self.str(var, default=None)
        if not value:
            return self.fallback(var, default)
        if value.lower() in TRUE_WORDS:
            return True
        if value.lower() in FALSE_WORDS:
            return False
        raise refusal(var, value, "true or false")

    def int(self, var, default=environ.Env.NOTSET, *, minimum=0, maximum=2**31):
        value = self.str(var, default=None)
        if not value:
            return self.fallback(var, default)
        if not value.isdigit() or not minimum <= int(value) <= maximum:
            raise refusal(var, value, f"a whole number from {minimum} to {maximum}")
        return int(value)

    def choice(self, var, choices, default=environ.Env.NOTSET):
        value = self.str(var, default=None)
        if not value:
            return self.fallback(var, default)
        if value not in choices:
            raise refusal(var, value, "one of " + ", ".join(choices))
        return value

    def networks(self, var, default=environ.Env.NOTSET):
        """Return a comma-separated list of addresses and CIDR ranges as a tuple of ip_network objects.

        A range with host bits set (10.0.0.5/24) is refused: it is ambiguous
        whether the host or the whole network was meant.
        """
        value, entries = self.entries(var, default)
        try:
            return tuple(ipaddress.ip_network(entry) for entry in entries)
        except ValueError:
            allowed = "IPv4 or IPv6 addresses and CIDR ranges, comma-separated, e.g. 10.0.0.0/24,fd00::1"
            raise refusal(var, value, allowed) from None

    def hosts(self, var, default=environ.Env.NOTSET):
        """Return a comma-separated list of host:port pairs as a list of (host, port) tuples."""
        value, entries = self.entries(var, default)
        pairs = [entry.rpartition(":")[::2] for entry in entries]
        if not all(host and port.isdigit() and 0 < int(port) < 65536 for host, port in pairs):
            raise refusal(var, value, "host:port pairs, comma-separated, e.g. 10.0.0.7:26379,10.0.0.8:26379")
        return [(host.strip("[]"), int(port)) for host, port in pairs]

    def entries(self, var, default):
        """Return the variable's value and its comma-separated entries, blanks left out."""
        value = self.str(var, default=None)
        return value, [entry.strip() for entry in (value or self.fallback(var, default)).split(",") if entry.strip()]

    def mailer(self, var, default=environ.Env.NOTSET):
        """Build a MAILERS entry from an email URL, e.g. smtp+tls://user:pw@host:587."""
        config = self.email_url(var, default=default)
        mailer = {"BACKEND": config["EMAIL_BACKEND"]}
        if config["EMAIL_HOST"]:
            mailer["OPTIONS"] = {
                "host": config["EMAIL_HOST"],
                "port": config["EMAIL_PORT"],
                "username": config["EMAIL_HOST_USER"],
                "password": config["EMAIL_HOST_PASSWORD"],
                "use_tls": config.get("EMAIL_USE_TLS", False),
                "use_ssl": config.get("EMAIL_USE_SSL", False),
                "timeout": 10,
            }
        return mailer

    def fallback(self, var, default):
        """Return the default of an unset variable, or say it is required."""
        if default is self.NOTSET:
            raise ImproperlyConfigured(f"Set the {var} environment variable.")
        return default


def refusal(var, value, allowed):
    """Build the error for a variable whose value cannot be used."""
    return ImproperlyConfigured(f"{var}={value!r} is not valid: use {allowed}.")
