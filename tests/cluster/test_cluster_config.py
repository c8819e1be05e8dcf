"""cluster.yaml and its variants pass Ray's own checks and the project's rules."""

from __future__ import annotations

import copy
import ipaddress
import re
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
