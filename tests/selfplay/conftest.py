"""One real local Ray cluster shared by the selfplay tests that need one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def ray_address() -> Iterator[str]:
    """Start a fresh local Ray (never someone else's cluster); yields its GCS address,
    which ``python -m selfplay.run --address`` joins."""
    import ray

    if ray.is_initialized():
        ray.shutdown()
    context = ray.init(address="local", num_cpus=4, include_dashboard=False,
                       namespace="selfplay-tests", log_to_driver=False,
                       object_store_memory=300 * 1024 * 1024)
    try:
        yield context.address_info["gcs_address"]
    finally:
        ray.shutdown()
