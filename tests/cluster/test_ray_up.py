"""A real `ray up` with Ray's local provider over SSH to 127.0.0.1, a short run, `ray down`.

The config is ``deploy/local.yaml`` with the test's throwaway key, this checkout as the
project to copy and this Python's directory filled in. The "remote" machine is an sshd the
test starts (see ``ssh_sandbox``); its login has a home of its own, so the cluster's
``~/zerogo``, ``~/.bashrc`` and ``~/ray_bootstrap_config.yaml`` land there.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.cluster.ssh_sandbox import SshSandbox
from tests.cluster.tiny_run import TINY_RUN_FLAGS, check_run_dir

ROOT = Path(__file__).resolve().parents[2]
RAY_CLI = [sys.executable, "-m", "ray.scripts.scripts"]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshSandbox]:
    box = SshSandbox.start(tmp_path_factory.mktemp("rayup"))
    try:
        yield box
    finally:
        box.close()


def local_config(box: SshSandbox) -> Path:
    """deploy/local.yaml with this test's key, checkout and Python filled in."""
    with open(ROOT / "deploy" / "local.yaml") as f:
        config = yaml.safe_load(f)
    config["cluster_name"] = f"zerogo-test-{os.getpid()}"
    # The sandbox's sshd serves root only; the example's ordinary account is for real machines.
    config["auth"]["ssh_user"] = "root"
    config["auth"]["ssh_private_key"] = str(box.key)
    # The token as a user makes it, with the project's script, outside the checkout.
    token = box.root / "ray-auth-token"
    made = subprocess.run(["bash", str(ROOT / "deploy" / "auth-token.sh"), str(token)],
                          capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    token_mounts = [k for k, v in config["file_mounts"].items() if v == ".ray-auth-token"]
    assert len(token_mounts) == 1, config["file_mounts"]
    config["file_mounts"] = {"~/zerogo": str(ROOT), token_mounts[0]: str(token)}
    python_bin = os.path.dirname(sys.executable)
    config["setup_commands"] = [
        c.replace("__PYTHON_BIN__", python_bin) for c in config["setup_commands"]
    ]
    path = box.root / "cluster.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def run_ray_cli(box: SshSandbox, *args: str, timeout: float) -> tuple[int, str]:
    """Run ``ray <args>`` on the launcher side (its temp files under the sandbox)."""
    launcher_tmp = box.root / "launcher-tmp"
    launcher_tmp.mkdir(exist_ok=True)
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "TMPDIR": str(launcher_tmp)}
    result = box.run([*RAY_CLI, *args], timeout=timeout, env=env)
    return result.returncode, result.stdout + result.stderr


def ray_cli(box: SshSandbox, *args: str, timeout: float) -> str:
    """``run_ray_cli`` that fails the test, showing the output, when the command fails."""
    code, output = run_ray_cli(box, *args, timeout=timeout)
    assert code == 0, f"ray {' '.join(args)} exited {code}:\n{output}"
    return output


def remove_ssh_control_dir(config: Path) -> None:
    """Remove the directory of SSH control sockets Ray made for this cluster in /tmp."""
    name = yaml.safe_load(config.read_text())["cluster_name"]
    user = hashlib.sha256(getpass.getuser().encode()).hexdigest()[:10]
    cluster = hashlib.sha256(name.encode()).hexdigest()[:10]
    shutil.rmtree(f"/tmp/ray_ssh_{user}/{cluster}", ignore_errors=True)


def wait_for_no_ray(box: SshSandbox, seconds: float = 30) -> list[str]:
    deadline = time.monotonic() + seconds
    left = box.ray_processes()
    while left and time.monotonic() < deadline:
        time.sleep(0.5)
        left = box.ray_processes()
    return left


def test_ray_up_runs_one_generation_and_ray_down_leaves_nothing(sandbox: SshSandbox) -> None:
    config = local_config(sandbox)
    assert sandbox.ray_processes() == [], "Ray already running where the head should start"
    try:
        ray_cli(sandbox, "up", "-y", "--no-config-cache", str(config), timeout=400)
        # The head is up, from the config: the project was copied, and the setup commands
        # put this Python (and its ray) on the login's PATH.
        assert (sandbox.home / "zerogo" / "selfplay" / "run.py").is_file()
        assert os.path.dirname(sys.executable) in (sandbox.home / ".bashrc").read_text()
        assert sandbox.ray_processes(), "ray up left no Ray process running"
        status = ray_cli(sandbox, "exec", str(config), "ray status", timeout=120)
        assert "1 local.cluster.node" in status and "Pending:" in status, status
        # The cluster demands the token: the same command with a wrong one is refused.
        code, refused = run_ray_cli(sandbox, "exec", str(config),
                                    "RAY_AUTH_TOKEN=0123456789abcdef ray status", timeout=120)
        assert code != 0 and "AuthenticationError" in refused, refused
        assert (sandbox.home / ".ray" / "zerogo_auth_token").read_text().strip() \
            == (sandbox.root / "ray-auth-token").read_text().strip()

        run_dir = sandbox.home / "runs" / "cluster-test"
        command = " ".join([
            "cd ~/zerogo &&", "python -m selfplay.run --address auto --generations 1",
            f"--run-dir {shlex.quote(str(run_dir))}", *TINY_RUN_FLAGS,
        ])
        output = ray_cli(sandbox, "exec", str(config), command, timeout=420)
        check_run_dir(run_dir, generations=1, output=output)
    finally:
        down_code, down = run_ray_cli(sandbox, "down", "-y", str(config), timeout=200)
        remove_ssh_control_dir(config)
    assert down_code == 0, f"ray down exited {down_code}:\n{down}"
    left = wait_for_no_ray(sandbox)
    assert left == [], f"after ray down:\n{down}\nstill running:\n" + "\n".join(left)
    stop = sandbox.run([*RAY_CLI, "stop"], timeout=120)
    assert stop.returncode == 0, stop.stdout + stop.stderr
    assert wait_for_no_ray(sandbox, seconds=5) == []
    # The launcher's record of the cluster (under its TMPDIR) says the head is terminated.
    state = sandbox.root / "launcher-tmp" / "ray" / f"cluster-zerogo-test-{os.getpid()}.state"
    nodes = json.loads(state.read_text())
    assert list(nodes) == ["127.0.0.1"] and nodes["127.0.0.1"]["state"] == "terminated", nodes
