#!/usr/bin/env bash
# Creates, once per Google Cloud project, the network deploy/gcp.yaml puts its nodes on:
#
#   bash deploy/gcp-network.sh PROJECT_ID [REGION] [SSH_SOURCE_RANGE]
#
# A VPC network of its own, `zerogo-ray` (custom mode, one subnet in REGION, us-central1 by
# default), holding the cluster's VMs only, so no other VM of the project can reach Ray's
# ports. Its firewall admits, to VMs tagged `zerogo-ray`:
#   - SSH (tcp:22) from SSH_SOURCE_RANGE (0.0.0.0/0 by default; give "<your IP>/32"),
#   - everything from the other VMs tagged `zerogo-ray` (the cluster's own nodes).
# Everything else is refused (a VPC network denies ingress unless a rule allows it). The
# project's `default` network and its rules are left alone and not used. REGION must be the
# `region` of deploy/gcp.yaml. To remove: delete the two rules, the subnet, then the network.
set -euo pipefail
PROJECT="${1:?usage: bash deploy/gcp-network.sh PROJECT_ID [REGION] [SSH_SOURCE_RANGE]}"
REGION="${2:-us-central1}"
SSH_FROM="${3:-0.0.0.0/0}"
NETWORK=zerogo-ray
TAG=zerogo-ray
RANGE=10.70.0.0/20

gcloud compute networks create "$NETWORK" --project="$PROJECT" --subnet-mode=custom
gcloud compute networks subnets create "$NETWORK" --project="$PROJECT" \
    --network="$NETWORK" --region="$REGION" --range="$RANGE"
gcloud compute firewall-rules create "$NETWORK-allow-ssh" --project="$PROJECT" \
    --network="$NETWORK" --direction=INGRESS --allow=tcp:22 \
    --source-ranges="$SSH_FROM" --target-tags="$TAG"
gcloud compute firewall-rules create "$NETWORK-allow-internal" --project="$PROJECT" \
    --network="$NETWORK" --direction=INGRESS --allow=tcp,udp,icmp \
    --source-tags="$TAG" --target-tags="$TAG"
