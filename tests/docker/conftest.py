"""A Docker engine of the tier's own, with the stand-in base image loaded.

Where no engine can start (not root, docker.io or debootstrap missing, no
cgroups), the tier is skipped and the reason says why; where CI is set, as
.ci/run sets it after installing what the tier needs, it fails instead.
"""

import os
import time

import pytest

from tests.support.docker import BASE_IMAGE, DockerEngine, base_image_tarball, import_base_image
from tests.support.services import ServiceError


def unavailable(reason):
    if os.environ.get("CI"):
        pytest.fail(f"The Docker tier cannot run: {reason}")
    pytest.skip(f"No Docker engine here: {reason}")


@pytest.fixture(scope="session")
def docker_engine():
    """A running dockerd with python:3.13-slim-bookworm made from Debian's packages; stopped at the end."""
    try:
        engine = DockerEngine()
    except ServiceError as error:
        unavailable(str(error))
    try:
        engine.start()
    except ServiceError as error:
        unavailable(str(error))
    try:
        started = time.monotonic()
        try:
            tarball = base_image_tarball()
        except ServiceError as error:
            unavailable(str(error))
        import_base_image(engine, tarball)
        print(f"stand-in {BASE_IMAGE}: ready in {time.monotonic() - started:.1f} s from {tarball}")
        yield engine
    finally:
        engine.cleanup()
