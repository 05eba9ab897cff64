#!/usr/bin/env python3
"""One respondent saving a page every 50 ms through the cluster's HTTP frontend, for scripts/failover.sh.

Each attempt is one line on stdout: `<unix time> <revision> <status>` (status 200 = acknowledged; anything else, or
`error`, is a failure the respondent's app would retry). The revision grows with every attempt, so every save is a
new one; a failed one is not retried here (quire-load does the retrying and the exactly-once check). The timeline
is what failover.sh reads the write gaps from; the acknowledged revisions are checked against the database after.

usage: failover_probe.py BASE_URL ACCESS_CODE PAGE_ID SECONDS
"""

import datetime
import json
import sys
import time
import urllib.error
import urllib.request


def post(url, body, token=None, timeout=5):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")
    req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=timeout) as res:
        return res.status, json.loads(res.read() or b"null")


def sign_in(base, code):
    while True:
        try:
            return post(f"{base}/api/v1/login", {"access_code": code})[1]
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)


def main():
    base, code, page, seconds = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    login = sign_in(base, code)
    rid, token = login["respondent_id"], login["token"]
    revision = login["resume"]["last_revision"]
    end = time.time() + seconds
    while time.time() < end:
        revision += 1
        now = datetime.datetime.now(datetime.timezone.utc).isoformat().replace("+00:00", "Z")
        save = {"page_id": page, "revision": revision, "answers": {}, "client_time": now, "draft": True}
        started = time.time()
        try:
            status, reply = post(f"{base}/api/v1/sync", {"respondent_id": rid, "saves": [save]}, token)
            acked = status == 200 and reply["acks"][0]["status"] in ("stored", "duplicate", "superseded")
            outcome = "200" if acked else f"{status}-refused"
        except urllib.error.HTTPError as e:
            outcome = str(e.code)
        except (urllib.error.URLError, OSError, ValueError):
            outcome = "error"
        print(f"{started:.3f} {revision} {outcome}", flush=True)
        time.sleep(max(0.0, 0.05 - (time.time() - started)))
    print(f"# respondent {rid}", flush=True)


if __name__ == "__main__":
    main()
