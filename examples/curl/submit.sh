#!/usr/bin/env bash
# Submit a job from a built-in workflow, wait for it with a long-poll, download its first output.
#   GATEWAY_URL=http://127.0.0.1:8787 API_KEY=... bash examples/curl/submit.sh "a red fox in the snow"
set -euo pipefail
GW="${GATEWAY_URL:-http://127.0.0.1:8787}"
AUTH=()
[ -n "${API_KEY:-}" ] && AUTH=(-H "X-API-Key: $API_KEY")
PROMPT="${1:-a lighthouse at dusk, oil painting}"

job=$(curl -sf "${AUTH[@]}" "$GW/jobs" -H 'content-type: application/json' \
  -d "$(printf '{"workflowId":"sd15","inputs":{"prompt":%s,"seed":42}}' "$(printf '%s' "$PROMPT" | python3 -c 'import json,sys; print(json.dumps(sys.stdin.read()))')")")
id=$(printf '%s' "$job" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
echo "job $id submitted"

status=queued
until [[ "$status" =~ ^(succeeded|failed|canceled|expired)$ ]]; do
  job=$(curl -sf "${AUTH[@]}" "$GW/jobs/$id?wait=30")
  status=$(printf '%s' "$job" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')
  echo "job $id: $status"
done
[ "$status" = succeeded ] || { printf '%s\n' "$job"; exit 1; }

name=$(printf '%s' "$job" | python3 -c 'import json,sys; print(json.load(sys.stdin)["outputs"][0]["name"])')
# The outputs route redirects to a signed link; -L follows it.
curl -sfL "${AUTH[@]}" "$GW/jobs/$id/outputs/$name" -o "$name"
echo "saved $name"
