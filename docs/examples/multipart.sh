#!/usr/bin/env bash
# Uploads a file larger than uploads.multipart_threshold_bytes (10 MB) to Stowage in parts, each part signed
# with the SHA-256 of its bytes, waits until it is ready, downloads it back and compares SHA-256.
#
#   docs/examples/multipart.sh FILE [CONTENT_TYPE]
#
# Needs bash, curl, dd, sha256sum (or shasum) and python3 (for JSON).
#
#   STOWAGE_URL    the API (default http://localhost:8080, as `./stowage dev` prints it)
#   STOWAGE_TOKEN  a bearer token; default: a dev token from POST /v1/dev/tokens (served by `./stowage dev` only)
#
# Prints what each step did and, last, "downloaded PATH: sha256 HEX (same bytes as FILE)"; the download is
# written beside the source as FILE.downloaded. Exits 1 when the file is refused, does not become ready, or
# comes back different (an image comes back with its metadata removed: that is reported, not a failure).
set -euo pipefail
# a call Stowage refuses stops the script: show the problem document it answered ("code" says why)
trap 'for a in "${R:-}" "${P:-}" "${S:-}" "${C:-}" "${F:-}"; do [[ "$a" == *urn:stowage:problem:* ]] && echo "$a" >&2; done' ERR

file=${1:?usage: multipart.sh FILE [CONTENT_TYPE]}
STOWAGE_URL=${STOWAGE_URL:-http://localhost:8080}

# field PATH: a value of the JSON document on stdin, by dotted path (fileId, upload.url, parts.0.url);
# an object is printed as "name: value" lines (parts.0.headers).
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
sha256() { if command -v sha256sum >/dev/null; then sha256sum "$1"; else shasum -a 256 "$1"; fi | cut -d' ' -f1; }
content_type() {
  case "$(printf '%s' "${1##*.}" | tr '[:upper:]' '[:lower:]')" in
    jpg|jpeg) echo image/jpeg ;; png) echo image/png ;; gif) echo image/gif ;; webp) echo image/webp ;;
    heic) echo image/heic ;; avif) echo image/avif ;; pdf) echo application/pdf ;;
    txt) echo text/plain ;; csv) echo text/csv ;;
    docx) echo application/vnd.openxmlformats-officedocument.wordprocessingml.document ;;
    xlsx) echo application/vnd.openxmlformats-officedocument.spreadsheetml.sheet ;;
    pptx) echo application/vnd.openxmlformats-officedocument.presentationml.presentation ;;
    odt) echo application/vnd.oasis.opendocument.text ;; ods) echo application/vnd.oasis.opendocument.spreadsheet ;;
    *) echo application/octet-stream ;;
  esac
}

if [ -z "${STOWAGE_TOKEN:-}" ]; then
  STOWAGE_TOKEN=$(curl -sS --fail-with-body -X POST "$STOWAGE_URL/v1/dev/tokens" | field token)
fi
TYPE=${2:-$(content_type "$file")}
NAME=$(basename "$file"); NAME=${NAME//\\/\\\\}; NAME=${NAME//\"/\\\"}
SIZE=$(wc -c < "$file" | tr -d ' ')
SHA=$(sha256 "$file")
PART=$(mktemp)
trap 'rm -f "$PART"' EXIT

# 1. ask for an upload: over the threshold Stowage opens a multipart upload and says how to cut the file;
#    the whole file's sha256 (optional) is checked by verification
R=$(curl -sS --fail-with-body -H "Authorization: Bearer $STOWAGE_TOKEN" -H 'Content-Type: application/json' \
      "$STOWAGE_URL/v1/uploads" -d "{\"filename\":\"$NAME\",\"size\":$SIZE,\"contentType\":\"$TYPE\",\"sha256\":\"$SHA\"}")
ID=$(field fileId <<<"$R")
if [ "$(field kind <<<"$R")" != multipart ]; then
  echo "$file is not over the multipart threshold: use docs/examples/upload.sh" >&2
  curl -sS -X DELETE -H "Authorization: Bearer $STOWAGE_TOKEN" "$STOWAGE_URL/v1/uploads/$ID"
  exit 1
fi
PART_SIZE=$(field partSize <<<"$R")
PART_COUNT=$(field partCount <<<"$R")
echo "initiated  $ID: multipart upload of $SIZE bytes as $TYPE, $PART_COUNT parts of $PART_SIZE bytes"

# 2. for each part: cut its bytes, ask Stowage to sign its URL with their SHA-256 (a part is never signed
#    without it), then PUT the part with exactly the returned headers (x-amz-checksum-sha256 where the store
#    checks it, so other bytes are refused); -T sends the file as is and adds no Content-Type of its own
for n in $(seq 1 "$PART_COUNT"); do
  dd if="$file" of="$PART" bs="$PART_SIZE" skip=$((n - 1)) count=1 2>/dev/null
  PART_SHA=$(sha256 "$PART")
  P=$(curl -sS --fail-with-body -H "Authorization: Bearer $STOWAGE_TOKEN" -H 'Content-Type: application/json' \
        "$STOWAGE_URL/v1/uploads/$ID/parts" -d "{\"parts\":[{\"partNumber\":$n,\"sha256\":\"$PART_SHA\"}]}")
  headers=(); while IFS= read -r h; do headers+=(-H "$h"); done < <(field parts.0.headers <<<"$P")
  curl -sS --fail-with-body -T "$PART" ${headers[@]+"${headers[@]}"} "$(field parts.0.url <<<"$P")"
  echo "part $n     $(wc -c < "$PART" | tr -d ' ') bytes stored"
done

# the parts the store holds (what a client resumes from after an interruption)
S=$(curl -sS --fail-with-body -H "Authorization: Bearer $STOWAGE_TOKEN" "$STOWAGE_URL/v1/uploads/$ID")
echo "stored     $(python3 -c 'import json, sys; print(len(json.load(sys.stdin)["parts"]))' <<<"$S") of $PART_COUNT parts"

# 3. complete: Stowage checks every part's size and assembles the object; verification checks each part's
#    bytes against the SHA-256 declared for it, and the whole file's against $SHA
C=$(curl -sS --fail-with-body -X POST -H "Authorization: Bearer $STOWAGE_TOKEN" "$STOWAGE_URL/v1/uploads/$ID/complete")
echo "completed  status $(field status <<<"$C")"

# 4. follow the file until it is ready: verified (size, SHA-256 of each part and of the file, type from the bytes), scanned
for _ in $(seq 1 240); do
  F=$(curl -sS --fail-with-body -H "Authorization: Bearer $STOWAGE_TOKEN" "$STOWAGE_URL/v1/files/$ID")
  STATUS=$(field status <<<"$F")
  case "$STATUS" in
    ready) break ;;
    rejected|quarantined|expired|cancelled) echo "$STATUS: $(field reason.code <<<"$F") $(field reason.message <<<"$F")" >&2; exit 1 ;;
  esac
  sleep 0.5
done
[ "$STATUS" = ready ] || { echo "still $STATUS after 2 minutes" >&2; exit 1; }
echo "ready      $ID (scan: $(field scan.result <<<"$F"), variants: $(field variantsStatus <<<"$F"))"

# 5. download: Stowage answers 302 with a short presigned GET of the bucket
LOCATION=$(curl -sS --fail-with-body -o /dev/null -w '%{redirect_url}' -H "Authorization: Bearer $STOWAGE_TOKEN" \
             "$STOWAGE_URL/v1/files/$ID/content")
curl -sS --fail-with-body -o "$file.downloaded" "$LOCATION"
GOT=$(sha256 "$file.downloaded")
if [ "$GOT" = "$SHA" ]; then
  echo "downloaded $file.downloaded: sha256 $GOT (same bytes as $file)"
elif [[ "$TYPE" == image/* ]]; then
  echo "downloaded $file.downloaded: sha256 $GOT (the image without its metadata: EXIF, GPS, XMP removed)"
else
  echo "downloaded $file.downloaded: sha256 $GOT differs from $file ($SHA)" >&2
  exit 1
fi
