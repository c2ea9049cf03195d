"""A Docker engine of the tier's own, with the stand-in base image loaded.

Where no engine can start (not root, docker.io or debootstrap missing, no
cgroups), the tier is skipped and the reason says why; where CI is set, as
.ci/run sets it after installing what the tier needs, it fails instead.
"""

import time

import pytest

from tests.support.docker import BASE_IMAGE, DockerEngine, base_image_tarball, import_base_image, unavailable
from tests.support.services import ServiceError


@pytest.fixture(scope="session")
def docker_engine():
    """A running dockerd with python:3.13-slim-bookworm made from Debian's packages; stopped at the end."""
    try:
        engine = DockerEngine()
    except ServiceError as error:
        unavailable(f"No Docker engine here: {error}")
    try:
        engine.start()
    except ServiceError as error:
        unavailable(f"No Docker engine here: {error}")
    try:
        started = time.monotonic()
        try:
            tarball = base_image_tarball()
        except ServiceError as error:
            unavailable(f"No Docker engine here: {error}")
        import_base_image(engine, tarball)
        print(f"stand-in {BASE_IMAGE}: ready in {time.monotonic() - started:.1f} s from {tarball}")
        yield engine
    finally:
        engine.cleanup()
