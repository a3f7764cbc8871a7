"""Submit a job from a built-in workflow, wait for it, download its first output.

    pip install requests
    GATEWAY_URL=http://127.0.0.1:8787 API_KEY=... python examples/python/submit.py "a red fox in the snow"
"""
import hashlib
import os
import sys

import requests

GATEWAY = os.environ.get("GATEWAY_URL", "http://127.0.0.1:8787")
HEADERS = {"X-API-Key": os.environ["API_KEY"]} if os.environ.get("API_KEY") else {}
TERMINAL = {"succeeded", "failed", "canceled", "expired"}

prompt = sys.argv[1] if len(sys.argv) > 1 else "a lighthouse at dusk, oil painting"
r = requests.post(
    f"{GATEWAY}/jobs",
    json={"workflowId": "sd15", "inputs": {"prompt": prompt, "seed": 42}},
    # Retrying this request with the same key never makes a second job (1-255 visible ASCII characters).
    headers={**HEADERS, "Idempotency-Key": "example-py-" + hashlib.sha256(prompt.encode()).hexdigest()},
    timeout=30,
)
if r.status_code >= 400:
    err = r.json()  # always { error, message, details? }
    sys.exit(f"{r.status_code} {err['error']}: {err['message']}")
job = r.json()

while job["status"] not in TERMINAL:
    # Long-poll: answers when the job ends, or after 30 s with its current state.
    job = requests.get(f"{GATEWAY}/jobs/{job['id']}", params={"wait": 30}, headers=HEADERS, timeout=40).json()
    progress = job.get("progress") or {}
    print(f"job {job['id']}: {job['status']} {progress.get('percent', '')}")

if job["status"] != "succeeded":
    sys.exit(f"{job['error']['error']}: {job['error']['message']}")

first = job["outputs"][0]
# The signed URL needs no key and expires (SIGNED_URL_TTL_S).
data = requests.get(first["url"], timeout=60).content
with open(first["name"], "wb") as f:
    f.write(data)
print(f"saved {first['name']} ({len(data)} bytes)")
