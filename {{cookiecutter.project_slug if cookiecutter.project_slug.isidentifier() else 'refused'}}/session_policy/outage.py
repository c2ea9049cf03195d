"""What a shared cache out of reach raises, for the cache reads and writes that are best effort."""

import sys


def cache_errors():
    """The errors of a cache out of reach; redis's only if this process has imported it.

    Importing redis here would cost a process that does not use it about 20 MiB.
    """
    redis = sys.modules.get("redis")
    return (OSError, redis.RedisError) if redis else (OSError,)
