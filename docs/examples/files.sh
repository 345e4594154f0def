#!/usr/bin/env bash
# What you can do with an uploaded file: list the files, fetch a variant, see the usage, delete and restore.
#
#   docs/examples/files.sh FILE_ID
#
# FILE_ID is a ready file of the token's user (upload.sh and multipart.sh print it). The file ends as it
# started (deleted, then restored). Needs bash, curl and python3 (for JSON).
#
#   STOWAGE_URL    the API (default http://localhost:8080, as `./stowage dev` prints it)
#   STOWAGE_TOKEN  a bearer token; default: a dev token from POST /v1/dev/tokens (served by `./stowage dev` only)
set -euo pipefail
# a call Stowage refuses stops the script: show the problem document it answered ("code" says why)
trap 'for a in "${F:-}" "${U:-}" "${D:-}" "${B:-}"; do [[ "$a" == *urn:stowage:problem:* ]] && echo "$a" >&2; done' ERR

ID=${1:?usage: files.sh FILE_ID}
STOWAGE_URL=${STOWAGE_URL:-http://localhost:8080}

# field PATH: a value of the JSON document on stdin, by dotted path (status, variantsReason.code)
field() {
  python3 -c '
import json, sys
v = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    v = v[int(k)] if isinstance(v, list) else v.get(k)
if isinstance(v, dict):
    for name, value in v.items(): print(f"{name}: {value}")
elif v is not None:
    print(v)' "$1"
}
if [ -z "${STOWAGE_TOKEN:-}" ]; then
  STOWAGE_TOKEN=$(curl -sS --fail-with-body -X POST "$STOWAGE_URL/v1/dev/tokens" | field token)
fi

# list: the user's files, newest first (?limit=1..100, ?cursor=<nextCursor> for the next page, ?deleted=true)
curl -sS --fail-with-body -H "Authorization: Bearer $STOWAGE_TOKEN" "$STOWAGE_URL/v1/files?limit=5" | python3 -c '
import json, sys
page = json.load(sys.stdin)
for f in page["items"]:
    print("list       %s  %-9s %10d bytes  %s" % (f["id"], f["status"], f["size"], f["name"]))
print("list       next page: %s" % (page["nextCursor"] or "none"))'

# variants: images get thumb, medium and original in the background; anything else has variantsStatus none
for _ in $(seq 1 240); do
  F=$(curl -sS --fail-with-body -H "Authorization: Bearer $STOWAGE_TOKEN" "$STOWAGE_URL/v1/files/$ID")
  VARIANTS=$(field variantsStatus <<<"$F")
  [ "$VARIANTS" != pending ] && break
  sleep 0.5
done
case "$VARIANTS" in
  ready)
    # 302 to the stored variant (or 200 with its bytes when it had to be made on the spot)
    OUT=$(curl -sS --fail-with-body -o thumb.webp -w '%{http_code} %{redirect_url}' -H "Authorization: Bearer $STOWAGE_TOKEN" \
            "$STOWAGE_URL/v1/files/$ID/variants/thumb")
    if [ "${OUT%% *}" = 302 ]; then curl -sS --fail-with-body -o thumb.webp "${OUT#* }"; fi
    python3 -c '
import json, sys
f = json.load(sys.stdin)
print("variants   ready: " + ", ".join("%s %dx%d %s" % (v["name"], v["width"], v["height"], v["contentType"]) for v in f["variants"]))' <<<"$F"
    echo "variants   thumb.webp: $(wc -c < thumb.webp | tr -d ' ') bytes" ;;
  none)    echo "variants   none: not an image, Stowage makes no variants for it" ;;
  failed)  echo "variants   failed: $(field variantsReason.code <<<"$F") (the file itself stays downloadable)" ;;
  *)       echo "variants   still $VARIANTS after 2 minutes" >&2; exit 1 ;;
esac

# usage: quota, used and reserved bytes of the user's plan
U=$(curl -sS --fail-with-body -H "Authorization: Bearer $STOWAGE_TOKEN" "$STOWAGE_URL/v1/usage")
echo "usage      plan $(field plan <<<"$U"): $(field usedBytes <<<"$U") bytes used, $(field reservedBytes <<<"$U") reserved, $(field quotaBytes <<<"$U") quota"

# delete: soft delete, the bytes stop counting against the quota; restorable for 30 days
D=$(curl -sS --fail-with-body -X DELETE -H "Authorization: Bearer $STOWAGE_TOKEN" "$STOWAGE_URL/v1/files/$ID")
U=$(curl -sS --fail-with-body -H "Authorization: Bearer $STOWAGE_TOKEN" "$STOWAGE_URL/v1/usage")
echo "deleted    status $(field status <<<"$D"), $(field usedBytes <<<"$U") bytes used"

# restore
B=$(curl -sS --fail-with-body -X POST -H "Authorization: Bearer $STOWAGE_TOKEN" "$STOWAGE_URL/v1/files/$ID/restore")
U=$(curl -sS --fail-with-body -H "Authorization: Bearer $STOWAGE_TOKEN" "$STOWAGE_URL/v1/usage")
echo "restored   status $(field status <<<"$B"), $(field usedBytes <<<"$U") bytes used"
