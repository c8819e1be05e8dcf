"""Starting (or joining) the Ray a run uses; a Ray started here listens on 127.0.0.1 only.

Ray 2.60 binds its servers (GCS, raylet, dashboard agent, every worker's gRPC port) to
the node's address, which for a single machine is its routable address unless the switch
``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0`` is set: then the node's address is 127.0.0.1 and
every server binds to the loopback. Ray reads the switch once, when ``ray`` is imported
(``ray._private.ray_constants.ENABLE_RAY_CLUSTER``), and the processes it starts read it
from their environment, so ``listen_on_loopback_only`` sets both, whichever came first.
``start_ray`` then checks the node's address: a local Ray that would listen beyond the
loopback is stopped and refused.

This module imports Ray only inside its functions, so calling ``listen_on_loopback_only``
before anything imports Ray is possible (and is what ``selfplay.run`` does).
"""

from __future__ import annotations

import ipaddress
import os
import sys

from go.errors import ZerogoError

LOOPBACK_SWITCH = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"
"""Ray's environment variable: "0" makes a single-machine Ray use 127.0.0.1."""

LOCAL = "local"
"""The ``--address`` that starts a new Ray on this machine for this run alone."""


class RayStartError(ZerogoError, RuntimeError):
    """Ray could not be started or joined as the run needs; the message says why."""


def listen_on_loopback_only() -> None:
    """Make the next Ray this process starts listen on 127.0.0.1 only.

    Sets ``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0`` (read by Ray at import and by the
    processes it starts) and, when ``ray`` is already imported, the constant Ray derived
    from it at import time.
    """
    os.environ[LOOPBACK_SWITCH] = "0"
    constants = sys.modules.get("ray._private.ray_constants")
    if constants is not None:
        constants.ENABLE_RAY_CLUSTER = False


def is_loopback(address: str) -> bool:
    """Whether ``address`` (an IP address, IPv4-mapped IPv6 included) is a loopback one."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return (mapped or ip).is_loopback


def start_ray(address: str, log_to_driver: bool = True) -> tuple[bool, str | None]:
    """Start a local Ray (``address == "local"``) or join the cluster at ``address``.

    Returns ``(started_here, dashboard_url)``: ``started_here`` is False when Ray was
    already initialised in this process (then nothing is done); the URL is None when the
    dashboard does not run. ``log_to_driver`` forwards the actors' output to this
    process's stdout/stderr (see ``selfplay.run_output``).

    Raises:
        RayStartError: the cluster at ``address`` cannot be joined, or a local Ray would
            listen beyond the loopback.
    """
    if address == LOCAL:
        listen_on_loopback_only()
    import ray

    if ray.is_initialized():
        return False, None
    try:
        context = ray.init(address=address, namespace="zerogo", log_to_driver=log_to_driver)
    except ConnectionError as exc:
        raise RayStartError(f"cannot join the Ray cluster at --address {address}: {exc}"
                            ) from exc
    if address == LOCAL:
        node_address = ray.util.get_node_ip_address()
        if not is_loopback(node_address):
            ray.shutdown()
            raise RayStartError(f"the local Ray would listen on {node_address}, not on "
                                f"127.0.0.1 only; stopped it")
    url = getattr(context, "dashboard_url", None)
    return True, (f"http://{url}" if url and "://" not in url else url) or None
