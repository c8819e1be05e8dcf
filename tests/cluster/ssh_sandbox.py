"""A throwaway SSH "machine" on 127.0.0.1 for a real `ray up` with Ray's local provider.

``SshSandbox`` starts an sshd that accepts only a key made for the occasion, and gives the
logins it serves a home directory of their own (so nothing is written to the real home).
When the kernel allows it (root with CAP_SYS_ADMIN, as on CI and in a privileged container)
sshd runs in fresh PID, network and mount namespaces: everything started through it, Ray's
head included, lives on its own loopback interface with its own process table and its own
``/tmp/ray``, exactly like a separate machine; `ray stop` inside cannot touch any other Ray on
the host, and closing the sandbox kills whatever is left. The launcher side (`ray up`,
`ray exec`, `ray down`) runs in the same namespaces, as it would on the machine you type on.

Without namespaces (an unprivileged container), sshd listens on the host's 127.0.0.1:22 and
the Ray processes it starts are host processes; that mode needs port 22 free.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

SSHD = "/usr/sbin/sshd"
RAY_PROCESS_MARKERS = ("raylet", "gcs_server", "ray::", "dashboard.py", "monitor.py",
                       "log_monitor.py", "runtime_env/agent", "dashboard/agent.py",
                       "ray_client_server", "plasma_store")

_LOOPBACK_UP = """
import fcntl, socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
flags = struct.unpack('16sH', fcntl.ioctl(s, 0x8913, struct.pack('16sH', b'lo', 0)))[1]
fcntl.ioctl(s, 0x8914, struct.pack('16sH', b'lo', flags | 1))
"""


class SandboxError(RuntimeError):
    """The SSH sandbox could not be set up; the message says why."""


def _run(cmd: list[str], timeout: float = 600, env: dict[str, str] | None = None,
         ) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)


def ensure_packages() -> None:
    """Install openssh-server and rsync from apt when missing, without starting any service."""
    if os.path.exists(SSHD) and shutil.which("rsync"):
        return
    if os.geteuid() != 0:
        raise SandboxError("openssh-server and rsync are missing and installing them needs root")
    if not shutil.which("apt-get"):
        raise SandboxError("openssh-server and rsync are missing and there is no apt-get")
    policy = Path("/usr/sbin/policy-rc.d")
    made_policy = not policy.exists()
    if made_policy:  # Debian's switch that keeps apt from starting sshd on port 22
        policy.write_text("#!/bin/sh\nexit 101\n")
        policy.chmod(0o755)
    try:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = ["apt-get", "install", "-y", "-qq", "--no-install-recommends",
                   "openssh-server", "rsync"]
        result = _run(install, env=env)
        if result.returncode != 0:
            _run(["apt-get", "update", "-qq"], env=env)
            result = _run(install, env=env)
        if result.returncode != 0:
            raise SandboxError(f"apt-get install openssh-server rsync failed:\n{result.stderr}")
    finally:
        if made_policy:
            policy.unlink()
    if not (os.path.exists(SSHD) and shutil.which("rsync")):
        raise SandboxError("openssh-server / rsync still missing after apt-get install")


def namespaces_available() -> bool:
    """Whether this process may create PID, network and mount namespaces."""
    if os.geteuid() != 0 or not (shutil.which("unshare") and shutil.which("nsenter")):
        return False
    probe = _run(["unshare", "--pid", "--net", "--mount", "--fork", "--mount-proc", "true"],
                 timeout=30)
    return probe.returncode == 0


@dataclass
class SshSandbox:
    """sshd on 127.0.0.1:22 serving root with a throwaway key and a private home.

    Attributes:
        root: a directory of its own (keys, sshd config, the login's home, Ray's temp dir).
        key: the private key the cluster config must use.
        home: the home directory of the SSH login (``~`` on the "remote" machine).
        isolated: whether sshd and the launcher run in their own namespaces.
    """

    root: Path
    key: Path
    home: Path
    isolated: bool
    _process: subprocess.Popen | None = None
    _ns_pid: int | None = None

    @classmethod
    def start(cls, root: Path) -> SshSandbox:
        """Make keys and a config under ``root`` and start sshd; fails with the reason."""
        if os.geteuid() != 0:
            raise SandboxError(f"the local-provider test logs in as root; running as uid "
                               f"{os.geteuid()}")
        ensure_packages()
        root.mkdir(parents=True, exist_ok=True)
        home = root / "home"
        home.mkdir()
        key = root / "id_ed25519"
        host_key = root / "ssh_host_ed25519_key"
        for path in (key, host_key):
            made = _run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)])
            if made.returncode != 0:
                raise SandboxError(f"ssh-keygen failed: {made.stderr}")
        shutil.copy(root / "id_ed25519.pub", root / "authorized_keys")
        config = root / "sshd_config"
        config.write_text(
            "\n".join([
                "Port 22",
                "ListenAddress 127.0.0.1",
                f"HostKey {host_key}",
                f"PidFile {root / 'sshd.pid'}",
                f"AuthorizedKeysFile {root / 'authorized_keys'}",
                "PermitRootLogin prohibit-password",
                "PubkeyAuthentication yes",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "UsePAM no",
                "StrictModes no",
                "AllowUsers root",
                "MaxStartups 100",
                "MaxSessions 100",
                # The login's home is the sandbox's, not /root.
                f"SetEnv HOME={home}",
                "",
            ])
        )
        Path("/run/sshd").mkdir(exist_ok=True)  # sshd's privilege-separation directory
        check = _run([SSHD, "-t", "-f", str(config)])
        if check.returncode != 0:
            raise SandboxError(f"sshd rejects its config: {check.stderr}")

        sandbox = cls(root=root, key=key, home=home, isolated=namespaces_available())
        if sandbox.isolated:
            ray_tmp = root / "ray-tmp"
            ray_tmp.mkdir()
            Path("/tmp/ray").mkdir(exist_ok=True)
            init = (f"set -e; {sys.executable} -c \"{_LOOPBACK_UP}\"; "
                    f"mount --bind {ray_tmp} /tmp/ray; exec {SSHD} -D -e -f {config}")
            sandbox._process = subprocess.Popen(
                ["unshare", "--pid", "--net", "--mount", "--fork", "--mount-proc",
                 "--propagation", "private", "bash", "-c", init],
                stdout=subprocess.DEVNULL, stderr=open(root / "sshd.log", "w"),
                start_new_session=True,
            )
            deadline = time.monotonic() + 30
            while sandbox._ns_pid is None and time.monotonic() < deadline:
                children = _children(sandbox._process.pid)
                if children:
                    sandbox._ns_pid = children[0]
                else:
                    time.sleep(0.1)
        else:
            if _port_open("127.0.0.1", 22):
                raise SandboxError("namespaces are not available here and 127.0.0.1:22 is "
                                   "taken, so the test's sshd cannot listen")
            sandbox._process = subprocess.Popen(
                [SSHD, "-D", "-e", "-f", str(config)],
                stdout=subprocess.DEVNULL, stderr=open(root / "sshd.log", "w"),
                start_new_session=True,
            )
        sandbox._wait_for_sshd()
        return sandbox

    def _wait_for_sshd(self) -> None:
        deadline = time.monotonic() + 30
        probe = ("import socket, sys\n"
                 "try:\n socket.create_connection(('127.0.0.1', 22), 1).close()\n"
                 "except OSError:\n sys.exit(1)\n")
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                break
            if self.run([sys.executable, "-c", probe], timeout=10).returncode == 0:
                return
            time.sleep(0.2)
        log = (self.root / "sshd.log").read_text()
        self.close()
        raise SandboxError(f"sshd did not come up on 127.0.0.1:22: {log}")

    def command(self, cmd: list[str]) -> list[str]:
        """``cmd`` as run on the sandbox's side (inside its namespaces when isolated)."""
        if self.isolated:
            return ["nsenter", "--target", str(self._ns_pid), "--pid", "--net", "--mount",
                    "--", *cmd]
        return list(cmd)

    def run(self, cmd: list[str], timeout: float = 600,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        """Run ``cmd`` next to sshd and wait for it (stdout and stderr captured as text)."""
        return _run(self.command(cmd), timeout=timeout, env=env)

    def ray_processes(self) -> list[str]:
        """Ray's processes (raylet, GCS, dashboard, workers...) alive on the sandbox's side.

        Isolated: every process in the sandbox's PID namespace. Otherwise: every process of
        the host, which is what `ray stop` acts on there too.
        """
        namespace = None
        if self.isolated:
            namespace = os.readlink(f"/proc/{self._ns_pid}/ns/pid")
        found = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                if namespace is not None and os.readlink(f"/proc/{entry}/ns/pid") != namespace:
                    continue
                raw = Path(f"/proc/{entry}/cmdline").read_bytes()
                text = raw.replace(b"\0", b" ").decode(errors="replace").strip()
                if not text:
                    text = Path(f"/proc/{entry}/comm").read_text().strip()
            except OSError:
                continue
            if any(marker in text for marker in RAY_PROCESS_MARKERS):
                found.append(f"{entry}: {text[:160]}")
        return found

    def close(self) -> None:
        """Stop sshd; when isolated this kills everything left in the sandbox."""
        if self._process is None:
            return
        if self.isolated and self._ns_pid is not None:
            try:
                os.kill(self._ns_pid, signal.SIGKILL)  # PID 1 of the sandbox: takes it all
            except ProcessLookupError:
                pass
        if self._process.poll() is None:
            self._process.terminate()
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=30)
        self._process = None


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(x) for x in text.split()]


def _port_open(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), 1).close()
        return True
    except OSError:
        return False
