"""A password hasher that counts the passwords it hashes: what a path costs, without a clock."""

from django.contrib.auth.hashers import MD5PasswordHasher


class CountingHasher(MD5PasswordHasher):
    """A real (fast) hasher that also counts every password it hashes, to check or to store."""

    algorithm = "counting_md5"
    hashed = 0

    def encode(self, password, salt):
        CountingHasher.hashed += 1
        return super().encode(password, salt)


# For settings.PASSWORD_HASHERS.
COUNTING_HASHERS = [f"{__name__}.CountingHasher"]
