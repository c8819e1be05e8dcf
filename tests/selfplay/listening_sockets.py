"""The TCP sockets a process tree listens on, read from Linux's ``/proc``.

``listening_sockets(pid)`` walks the process and all its descendants, maps each one's
socket file descriptors (``/proc/<pid>/fd`` -> ``socket:[inode]``) to the listening
entries of ``/proc/net/tcp`` and ``/proc/net/tcp6``, and returns who listens where.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from dataclasses import dataclass

_LISTEN = "0A"  # TCP state code of a listening socket in /proc/net/tcp


@dataclass(frozen=True)
class Listener:
    """One listening TCP socket: the process (pid, command name) and its bind address."""

    pid: int
    name: str
    address: str
    port: int

    @property
    def loopback_only(self) -> bool:
        """Bound to 127.0.0.0/8 or ::1 (or an IPv4-mapped 127.x address), nothing else."""
        ip = ipaddress.ip_address(self.address)
        mapped = getattr(ip, "ipv4_mapped", None)
        return (mapped or ip).is_loopback


def process_tree(root: int) -> list[int]:
    """``root`` and every descendant alive now."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    tree = [root]
    for pid in tree:
        tree.extend(children.get(pid, []))
    return tree


def _socket_inodes(pid: int) -> set[int]:
    inodes = set()
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return inodes
    for fd in fds:
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(int(target[8:-1]))
    return inodes


def _decode(hex_address: str, family: int) -> str:
    raw = bytes.fromhex(hex_address)
    # The kernel prints each 32-bit word in host (little-endian) order.
    words = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
    return socket.inet_ntop(family, words)


def _listening_inodes() -> dict[int, tuple[str, int]]:
    found = {}
    for path, family in (("/proc/net/tcp", socket.AF_INET), ("/proc/net/tcp6", socket.AF_INET6)):
        with open(path) as f:
            next(f)
            for line in f:
                fields = line.split()
                if fields[3] != _LISTEN:
                    continue
                address, port = fields[1].split(":")
                found[int(fields[9])] = (_decode(address, family), int(port, 16))
    return found


def listening_sockets(root: int) -> set[Listener]:
    """Every TCP socket that ``root`` or one of its descendants listens on now."""
    listening = _listening_inodes()
    result = set()
    for pid in process_tree(root):
        try:
            with open(f"/proc/{pid}/comm") as f:
                name = f.read().strip()
        except OSError:
            continue
        for inode in _socket_inodes(pid):
            if inode in listening:
                result.add(Listener(pid, name, *listening[inode]))
    return result
