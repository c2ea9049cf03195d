"""Prove that the PostgreSQL and Redis test servers work as promised."""

from pathlib import Path

import psycopg
import pytest
import redis

LOCALHOST_HEX = "0100007F"  # 127.0.0.1 as /proc/net/tcp writes it
TCP_LISTEN = "0A"


def listening_addresses(port):
    """Return the local addresses that listen on port, from /proc/net/tcp*."""
    addresses = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        path = Path(table)
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            address, port_hex = fields[1].split(":")
            if fields[3] == TCP_LISTEN and int(port_hex, 16) == port:
                addresses.add(address)
    return addresses


def test_postgres_accepts_queries(postgres_server):
    with psycopg.connect(postgres_server.url) as connection:
        assert connection.execute("SELECT 1").fetchone() == (1,)
        connection.execute("CREATE TABLE greeting (text varchar(20))")
        connection.execute("INSERT INTO greeting VALUES ('hello')")
        assert connection.execute("SELECT text FROM greeting").fetchall() == [("hello",)]
        connection.execute("DROP TABLE greeting")


def test_postgres_requires_the_password(postgres_server):
    url = postgres_server.url.replace(postgres_server.password, "wrong")
    with pytest.raises(psycopg.OperationalError, match="password authentication"):
        psycopg.connect(url)


def test_postgres_keeps_data_across_restart(postgres_server):
    with psycopg.connect(postgres_server.url) as connection:
        connection.execute("CREATE TABLE survivor (name text)")
        connection.execute("INSERT INTO survivor VALUES ('still here')")
    port, url = postgres_server.port, postgres_server.url
    postgres_server.stop()
    assert not postgres_server.is_running
    postgres_server.stop()  # Stopping twice is harmless.
    postgres_server.start()
    assert (postgres_server.port, postgres_server.url) == (port, url)
    with psycopg.connect(postgres_server.url) as connection:
        rows = connection.execute("SELECT name FROM survivor").fetchall()
        connection.execute("DROP TABLE survivor")
    assert rows == [("still here",)]


def test_redis_sets_and_gets(redis_server):
    client = redis.Redis.from_url(redis_server.url)
    try:
        client.set("greeting", "hello")
        assert client.get("greeting") == b"hello"
        client.delete("greeting")
    finally:
        client.close()


def test_redis_restarts_on_the_same_port(redis_server):
    port = redis_server.port
    redis_server.stop()
    redis_server.start()
    assert redis_server.port == port
    client = redis.Redis.from_url(redis_server.url)
    try:
        assert client.ping()
    finally:
        client.close()


def test_servers_listen_only_on_localhost(postgres_server, redis_server):
    for server in (postgres_server, redis_server):
        assert listening_addresses(server.port) == {LOCALHOST_HEX}, server


def test_unix_sockets_stay_in_the_temporary_directory(postgres_server, redis_server):
    assert (postgres_server.directory / f".s.PGSQL.{postgres_server.port}").is_socket()
    assert (redis_server.directory / "redis.sock").is_socket()
