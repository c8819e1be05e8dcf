#!/usr/bin/env bash
# Writes the Ray cluster's authentication token, once, on the machine you type `ray up` on.
#
#   bash deploy/auth-token.sh            # -> .ray-auth-token in the repository root
#   bash deploy/auth-token.sh PATH       # -> PATH (any file git would not commit)
#
# The token is 256 random bits in hex (what `ray get-auth-token --generate` makes), written
# with mode 0600 and never printed. An existing non-empty token is kept: delete the file and
# run `ray up` again to change it. cluster.yaml, deploy/gcp.yaml and deploy/local.yaml copy
# the file to ~/.ray/zerogo_auth_token on every node (file_mounts) and start Ray there with
# RAY_AUTH_MODE=token; it goes nowhere else. A path inside the checkout must be ignored by
# git, so the token can never be committed.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
TOKEN="${1:-"$ROOT/.ray-auth-token"}"
case "$TOKEN" in /*) ;; *) TOKEN="$PWD/$TOKEN" ;; esac
case "$TOKEN" in
    "$ROOT"/*)
        if ! git -C "$ROOT" check-ignore -q "$TOKEN"; then
            echo "refusing to write a token to ${TOKEN#"$ROOT"/}: git does not ignore it" \
                 "(add it to .gitignore)" >&2
            exit 1
        fi ;;
esac
if [ -s "$TOKEN" ]; then
    echo "keeping the existing token in $TOKEN"
    exit 0
fi
umask 077
mkdir -p "$(dirname "$TOKEN")"
python3 -c 'import secrets; print(secrets.token_hex(32))' > "$TOKEN.tmp"
chmod 600 "$TOKEN.tmp"
mv "$TOKEN.tmp" "$TOKEN"
echo "wrote a new token to $TOKEN (mode 0600)"
