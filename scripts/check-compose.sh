#!/usr/bin/env bash
# Checks compose.yaml without a Docker engine: `compose config` needs only the
# client. Uses .env when present, else .env.example, and also checks that the
# required variables really are required (config must fail without them).
#
#   scripts/check-compose.sh            # exits 0 with a notice if no compose client exists
#   CHECK_COMPOSE_STRICT=1 scripts/check-compose.sh   # ...or fails instead
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

file=compose.yaml
env_file=.env
[ -f "$env_file" ] || env_file=.env.example
expected_services="buckets clamd minio postgres stowage"
required_vars="MINIO_ROOT_USER MINIO_ROOT_PASSWORD POSTGRES_PASSWORD STOWAGE_JWT_SECRET"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

if docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then
  # Compose v1 predates the top-level `name:` key; check the rest of the file.
  compose=(docker-compose)
  grep -v '^name:' "$file" > "$tmp/compose.yaml"
  file="$tmp/compose.yaml"
  echo "note: using legacy docker-compose ($(docker-compose version --short 2>/dev/null || echo v1)); top-level 'name' not checked" >&2
else
  echo "check-compose: no 'docker compose' client found; skipped" >&2
  [ "${CHECK_COMPOSE_STRICT:-0}" = 1 ] && exit 1
  exit 0
fi

# Run compose with only the given env file, ignoring any exported variables.
run_compose() {
  local envf="$1"; shift
  local unset_args=() v
  for v in $required_vars STOWAGE_IMAGE; do unset_args+=(-u "$v"); done
  env "${unset_args[@]}" "${compose[@]}" --env-file "$envf" -f "$file" --project-directory . "$@"
}

echo "== ${compose[*]} config -q (env: $env_file)"
run_compose "$env_file" config -q

services="$(run_compose "$env_file" config --services | sort | tr '\n' ' ')"
if [ "${services% }" != "$expected_services" ]; then
  echo "unexpected services: '${services% }' (want '$expected_services')" >&2
  exit 1
fi
echo "services: ${services% }"

for v in $required_vars; do
  grep -v "^$v=" "$env_file" > "$tmp/partial.env" || true
  if run_compose "$tmp/partial.env" config -q >/dev/null 2>&1; then
    echo "compose config passed without $v; it should be required" >&2
    exit 1
  fi
done
echo "required variables enforced: $required_vars"
echo "compose.yaml OK"
