"""cluster.yaml and its variants pass Ray's own checks and the project's rules."""

from __future__ import annotations

import copy
import ipaddress
import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import ray
import yaml
from ray.autoscaler._private.util import prepare_config, validate_config

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = {
    "aws": ROOT / "cluster.yaml",
    "gcp": ROOT / "deploy" / "gcp.yaml",
    "local": ROOT / "deploy" / "local.yaml",
}
CLOUD = ("aws", "gcp")
RAY_PORTS = (6379, 8265, 10001)
GPU_INSTANCE_FAMILY = re.compile(r"^(g4dn|g5|g6|g6e|gr6|p3|p4d|p4de|p5|p5e|g2|a2|a3)[.-]")


def load(name: str) -> dict[str, Any]:
    with open(CONFIGS[name]) as f:
        return yaml.safe_load(f)


def prepared(name: str) -> dict[str, Any]:
    return prepare_config(load(name))


def all_commands(config: dict[str, Any]) -> list[str]:
    commands = []
    for key in ("initialization_commands", "setup_commands", "head_setup_commands",
                "worker_setup_commands", "head_start_ray_commands", "worker_start_ray_commands"):
        commands += config.get(key, [])
    for node_type in config.get("available_node_types", {}).values():
        commands += node_type.get("worker_setup_commands", [])
    return commands


def open_to_internet(rule: dict[str, Any]) -> bool:
    ranges = [r.get("CidrIp", "") for r in rule.get("IpRanges", [])]
    ranges += [r.get("CidrIpv6", "") for r in rule.get("Ipv6Ranges", [])]
    return any(ipaddress.ip_network(r).prefixlen == 0 for r in ranges if r)


def rule_ports(rule: dict[str, Any]) -> range:
    if str(rule.get("IpProtocol")) == "-1" or rule.get("FromPort", -1) == -1:
        return range(0, 65536)
    return range(int(rule["FromPort"]), int(rule["ToPort"]) + 1)


def exposed_ports(config: dict[str, Any]) -> set[int]:
    """Ports the config opens to the whole internet, beyond Ray's own SSH rule."""
    rules = config.get("provider", {}).get("security_group", {}).get("IpPermissions", [])
    exposed: set[int] = set()
    for rule in rules:
        if open_to_internet(rule):
            exposed.update(p for p in RAY_PORTS + (22, 6006) if p in rule_ports(rule))
    return exposed


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_config_passes_rays_offline_checks(name: str) -> None:
    validate_config(prepared(name))  # raises on any schema or defaults problem


@pytest.mark.parametrize("name", CLOUD)
def test_head_has_no_gpu_and_a_gpu_worker_type_exists(name: str) -> None:
    config = prepared(name)
    types = config["available_node_types"]
    head = types[config["head_node_type"]]
    assert head["resources"].get("GPU", 0) == 0
    head_type = head["node_config"].get("InstanceType") or head["node_config"].get("machineType")
    assert not GPU_INSTANCE_FAMILY.match(head_type), head_type
    assert all("--num-gpus=0" in c for c in config["head_start_ray_commands"] if "--head" in c)
    gpu_types = {k: v for k, v in types.items()
                 if k != config["head_node_type"] and v["resources"].get("GPU", 0) >= 1}
    assert gpu_types, "no worker node type declares a GPU"
    for key, node_type in gpu_types.items():
        machine = (node_type["node_config"].get("InstanceType")
                   or node_type["node_config"].get("machineType"))
        assert GPU_INSTANCE_FAMILY.match(machine), f"{key}: {machine} has no GPU"
        assert node_type["max_workers"] >= 1


@pytest.mark.parametrize("name", CLOUD)
def test_spot_workers_are_marked_preemptible_and_an_on_demand_gpu_exists(name: str) -> None:
    from selfplay.placement import PREEMPTIBLE_RESOURCE

    config = prepared(name)
    spot, on_demand = [], []
    for key, node_type in config["available_node_types"].items():
        node_config = node_type["node_config"]
        is_spot = (
            node_config.get("InstanceMarketOptions", {}).get("MarketType") == "spot"
            or node_config.get("scheduling", {}).get("provisioningModel") == "SPOT"
            or node_config.get("scheduling", {}).get("preemptible") is True
        )
        declared = node_type["resources"].get(PREEMPTIBLE_RESOURCE, 0) > 0
        assert is_spot == declared, f"{key}: spot={is_spot} but preemptible resource={declared}"
        if node_type["resources"].get("GPU", 0) >= 1:
            (spot if is_spot else on_demand).append(key)
    assert spot, "no spot GPU worker type"
    assert on_demand, "no on-demand GPU node for the learner"


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_install_pins_the_projects_ray_version(name: str) -> None:
    text = " ".join(all_commands(load(name)))
    version = ray.__version__
    specs = re.findall(r"ray(?:\[[a-z,]+\])?\s*(==|>=|~=|<=|>|<)\s*([0-9][0-9a-z.]*)", text)
    if name == "local":
        # The local variant does not install: it checks the installed Ray is the pinned one.
        assert f"ray.__version__ == '{version}'" in text
        return
    assert specs, "no pinned Ray in the setup commands"
    assert set(specs) == {("==", version)}, specs
    assert re.search(r"tensorflow\[and-cuda\]", text), "TensorFlow without its CUDA libraries"
    assert "-e ~/zerogo" in text, "the project is not installed"


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_no_ray_port_is_opened_to_the_internet(name: str) -> None:
    config = prepared(name)
    assert exposed_ports(config) == set()
    for command in all_commands(config):
        assert not re.search(r"--dashboard-host[= ]+0\.0\.0\.0", command), command
        assert not re.search(r"--ray-client-server-port", command), command
    # Ray's own AWS rule set is SSH from anywhere plus the cluster's own group, nothing more.
    if name == "aws":
        from ray.autoscaler._private.aws.config import _create_default_inbound_rules

        rules = _create_default_inbound_rules(
            {"sg-self"}, config["provider"]["security_group"]["IpPermissions"]
        )
        world = [r for r in rules if open_to_internet(r)]
        assert [list(rule_ports(r)) for r in world] == [[22]]


def test_the_security_rule_check_catches_an_open_ray_port() -> None:
    config = prepared("aws")
    bad = copy.deepcopy(config)
    bad["provider"]["security_group"]["IpPermissions"] = [
        {"IpProtocol": "tcp", "FromPort": 8265, "ToPort": 8265,
         "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
    ]
    assert exposed_ports(bad) == {8265}
    bad["provider"]["security_group"]["IpPermissions"] = [
        {"IpProtocol": "-1", "Ipv6Ranges": [{"CidrIpv6": "::/0"}]},
    ]
    assert exposed_ports(bad) == {22, 6006, 6379, 8265, 10001}
    ok = copy.deepcopy(config)
    ok["provider"]["security_group"]["IpPermissions"] = [
        {"IpProtocol": "tcp", "FromPort": 6379, "ToPort": 6379,
         "IpRanges": [{"CidrIp": "10.0.0.0/16"}]},
    ]
    assert exposed_ports(ok) == set()


def test_local_variant_targets_this_machine() -> None:
    config = prepared("local")
    assert config["provider"]["type"] == "local"
    assert config["provider"]["head_ip"] == "127.0.0.1"
    assert "__PYTHON_BIN__" in " ".join(config["setup_commands"])
    assert "~/zerogo" in config["file_mounts"]


# --- Control-plane authentication, networks and logins -------------------------------------

TOKEN_SCRIPT = ROOT / "deploy" / "auth-token.sh"
GCP_NETWORK_SCRIPT = ROOT / "deploy" / "gcp-network.sh"
UV_VERSION = re.compile(r"^[0-9]+\.[0-9]+\.[0-9]+$")


def start_commands(config: dict[str, Any]) -> list[str]:
    """Every `ray start` command of the config, head and workers (node types included)."""
    commands = list(config.get("head_start_ray_commands", []))
    commands += config.get("worker_start_ray_commands", [])
    for node_type in config.get("available_node_types", {}).values():
        commands += node_type.get("worker_start_ray_commands", [])
    return [c for c in commands if re.search(r"\bray start\b", c)]


def token_mount(config: dict[str, Any]) -> tuple[str, str]:
    """(path on the nodes, path on the launching machine) of the auth token file mount."""
    paths = set()
    for command in start_commands(config):
        assert re.search(r"(^|[\s;])RAY_AUTH_MODE=token\s", command), \
            f"starts Ray without token authentication: {command}"
        found = re.findall(r"RAY_AUTH_TOKEN_PATH=(\S+)\s", command)
        assert len(found) == 1, f"no single RAY_AUTH_TOKEN_PATH in: {command}"
        paths.add(found[0].replace("$HOME", "~"))
    assert len(paths) == 1, f"the nodes read the token from different files: {paths}"
    remote = paths.pop()
    assert remote in config["file_mounts"], f"{remote} is not among the file mounts"
    return remote, config["file_mounts"][remote]


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_every_node_starts_ray_with_token_authentication(name: str) -> None:
    config = prepared(name)
    assert start_commands(config), "no `ray start` command"
    remote, local = token_mount(config)
    assert remote.startswith("~/.ray/"), remote
    # Logins on the nodes (the driver of `ray exec`, `ray status`) use the same token.
    exports = [c for c in config["setup_commands"]
               if "RAY_AUTH_MODE=token" in c and "~/.bashrc" in c]
    assert exports, "no setup command puts token authentication in the nodes' login shells"
    assert any(remote.replace("~", "$HOME") in c or remote in c for c in exports), exports
    # Every config takes the token from the same git-ignored file of the checkout, the one
    # deploy/auth-token.sh writes.
    assert local == ".ray-auth-token", local
    assert f'"$ROOT/{local}"' in TOKEN_SCRIPT.read_text()


def test_the_token_file_is_git_ignored_and_never_tracked() -> None:
    ignored = subprocess.run(["git", "check-ignore", "-q", ".ray-auth-token"], cwd=ROOT)
    assert ignored.returncode == 0, ".ray-auth-token is not ignored by git"
    tracked = subprocess.run(["git", "ls-files", "--", ".ray-auth-token"], cwd=ROOT,
                             capture_output=True, text=True, check=True)
    assert tracked.stdout == ""


def test_auth_token_script_writes_a_private_token_once(tmp_path: Path) -> None:
    path = tmp_path / "token"
    first = subprocess.run(["bash", str(TOKEN_SCRIPT), str(path)], capture_output=True,
                           text=True, timeout=60)
    assert first.returncode == 0, first.stderr
    token = path.read_text().strip()
    assert re.fullmatch(r"[0-9a-f]{64}", token), token
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert token not in first.stdout + first.stderr, "the token was printed"
    again = subprocess.run(["bash", str(TOKEN_SCRIPT), str(path)], capture_output=True,
                           text=True, timeout=60)
    assert again.returncode == 0, again.stderr
    assert path.read_text().strip() == token, "an existing token was replaced"


def test_auth_token_script_refuses_a_path_git_would_commit() -> None:
    result = subprocess.run(["bash", str(TOKEN_SCRIPT), str(ROOT / "deploy" / "token")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "git" in result.stderr and "deploy/token" in result.stderr, result.stderr
    assert not (ROOT / "deploy" / "token").exists()


def gcp_network_of(config: dict[str, Any]) -> tuple[str, str, str]:
    """(network, subnetwork, firewall tag) every GCP node joins; fails when they differ."""
    seen = set()
    for key, node_type in config["available_node_types"].items():
        node_config = node_type["node_config"]
        interfaces = node_config.get("networkInterfaces")
        assert interfaces and len(interfaces) == 1, f"{key}: no network of its own"
        network = interfaces[0].get("network", "").rsplit("/", 1)[-1]
        subnet = interfaces[0].get("subnetwork", "")
        assert subnet.startswith(f"regions/{config['provider']['region']}/subnetworks/"), subnet
        tags = node_config.get("tags", {}).get("items", [])
        assert len(tags) == 1, f"{key}: tags {tags}"
        seen.add((network, subnet.rsplit("/", 1)[-1], tags[0]))
    assert len(seen) == 1, f"the nodes are not on one network: {seen}"
    network, subnet, tag = seen.pop()
    assert network and network != "default", network
    return network, subnet, tag


def gcloud_calls(tmp_path: Path, *args: str) -> list[list[str]]:
    """Run deploy/gcp-network.sh with a recording `gcloud` first on PATH; its calls."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "calls.jsonl"
    fake = bin_dir / "gcloud"
    fake.write_text(f"#!{sys.executable}\nimport json, sys\n"
                    f"open({str(log)!r}, 'a').write(json.dumps(sys.argv[1:]) + '\\n')\n")
    fake.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    result = subprocess.run(["bash", str(GCP_NETWORK_SCRIPT), *args], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in log.read_text().splitlines()]


def flags(call: list[str]) -> dict[str, str]:
    out, i = {}, 0
    while i < len(call):
        if call[i].startswith("--"):
            name, sep, value = call[i][2:].partition("=")
            if not sep and i + 1 < len(call) and not call[i + 1].startswith("--"):
                value, i = call[i + 1], i + 1
            out[name] = value
        i += 1
    return out


def test_gcp_nodes_sit_on_a_network_of_their_own_that_admits_only_ssh(tmp_path: Path) -> None:
    from ray.autoscaler._private.gcp.config import _configure_subnet

    config = prepared("gcp")
    network, subnet, tag = gcp_network_of(config)
    # Ray keeps the config's interfaces (it would otherwise put the nodes on the first
    # subnet of the project's default network); compute=None: it must not even look.
    assert _configure_subnet(config, None) == config
    region = config["provider"]["region"]

    calls = gcloud_calls(tmp_path, "my-project", region)
    assert all(flags(c).get("project") == "my-project" for c in calls), calls
    created = {c[3]: flags(c) for c in calls if c[:4] == ["compute", "networks", "create", network]}
    assert created[network]["subnet-mode"] == "custom", created
    subnets = [flags(c) for c in calls if c[:4] == ["compute", "networks", "subnets", "create"]
               and c[4] == subnet]
    assert len(subnets) == 1 and subnets[0]["network"] == network
    assert subnets[0]["region"] == region
    rules = [flags(c) for c in calls if c[:3] == ["compute", "firewall-rules", "create"]]
    assert rules, "no firewall rule"
    opened_to_world = []
    for rule in rules:
        assert rule["network"] == network, rule
        assert rule.get("direction", "INGRESS") == "INGRESS", rule
        assert rule["target-tags"] == tag, rule
        if "source-ranges" in rule:
            opened_to_world.append(rule["allow"])
            assert "source-tags" not in rule, rule
        else:
            assert rule["source-tags"] == tag, rule  # the cluster's own nodes only
    assert opened_to_world == ["tcp:22"], opened_to_world
    # Nothing touches another network, the project's default one included.
    assert all(flags(c).get("network", network) == network for c in calls), calls
    assert not any("default" in arg for c in calls for arg in c), calls


def test_gcp_network_script_restricts_ssh_when_asked(tmp_path: Path) -> None:
    calls = gcloud_calls(tmp_path, "my-project", "europe-west4", "203.0.113.7/32")
    ssh = [flags(c) for c in calls if c[:3] == ["compute", "firewall-rules", "create"]
           and flags(c)["allow"] == "tcp:22"]
    assert [r["source-ranges"] for r in ssh] == ["203.0.113.7/32"]


def test_local_example_logs_in_as_an_ordinary_user() -> None:
    config = prepared("local")
    user = config["auth"]["ssh_user"]
    assert user and user != "root", user
    for command in all_commands(config):
        assert not re.search(r"\bsudo\b", command), command


@pytest.mark.parametrize("name", CLOUD)
def test_uv_installer_is_pinned_to_one_version(name: str) -> None:
    commands = [c for c in load(name)["setup_commands"] if "astral.sh/uv" in c]
    assert len(commands) == 1, commands
    urls = re.findall(r"https://astral\.sh/uv/([^/\s]+)/install\.sh", commands[0])
    assert len(urls) == 1 and UV_VERSION.match(urls[0]), commands[0]
    # An uv of another version already on the node is replaced, not kept.
    assert f"= {urls[0]}" in commands[0] or f"uv {urls[0]}" in commands[0], commands[0]
