"""Load several running configurations in interleaved rounds, so noise hits them all alike."""

from dataclasses import dataclass, field

import redis as redis_library

from benchmarks.load import load, sign_in

# Commands the benchmark itself sends to read the counters.
OWN_REDIS_COMMANDS = ("info", "config|resetstat", "config")


@dataclass
class Setup:
    """Instances loaded together as one configuration."""

    label: str
    instances: list
    password: str
    # Per instance: twice its workers keeps every worker busy.
    connections: int
    rounds: list = field(default_factory=list)


@dataclass
class Round:
    rate: float
    requests: int
    errors: int
    p50_ms: float
    p99_ms: float
    redis_per_request: float


class RedisCounter:
    """Commands the Redis server ran between reset() and count(), ours excepted."""

    def __init__(self, url):
        self.client = redis_library.Redis.from_url(url)

    def reset(self):
        self.client.config_resetstat()

    def count(self):
        stats = self.client.info("commandstats")
        return sum(
            values["calls"]
            for name, values in stats.items()
            if name.removeprefix("cmdstat_") not in OWN_REDIS_COMMANDS
        )

    def close(self):
        self.client.close()


def run_once(setup, seconds, script, counter):
    # One browser: signed in once, on the first instance, its cookie sent to every instance.
    cookie = sign_in(setup.instances[0].port, setup.password)
    counter.reset()
    results = load(
        [(instance.port, cookie) for instance in setup.instances],
        seconds=seconds,
        connections=setup.connections,
        script=script,
    )
    redis_calls = counter.count()
    requests = sum(result.requests for result in results)
    return Round(
        rate=sum(result.rate for result in results),
        requests=requests,
        errors=sum(result.errors for result in results),
        p50_ms=max(result.p50_ms for result in results),
        p99_ms=max(result.p99_ms for result in results),
        redis_per_request=redis_calls / max(requests, 1),
    )


def measure(setups, budget, script, redis_url):
    """Warm every setup up, then load each for budget.load_seconds per round, in rotating order."""
    counter = RedisCounter(redis_url)
    try:
        for setup in setups:
            run_once(setup, budget.warm_up_seconds, script, counter)
        for number in range(budget.load_rounds):
            shift = number % len(setups)
            for setup in setups[shift:] + setups[:shift]:
                setup.rounds.append(run_once(setup, budget.load_seconds, script, counter))
    finally:
        counter.close()
    return setups
