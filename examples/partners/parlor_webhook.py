#!/usr/bin/env python3
"""A network talking to Parlor's webhook protocol with Python's standard library only.

  PARLOR_URL=http://127.0.0.1:8080 PARLOR_NETWORK=chatapp PARLOR_SECRET=... \\
      python3 parlor_webhook.py send chatapp:alice @bob "hello"
  PARLOR_SECRET=... PARLOR_SIGNATURE="t=...,v1=..." python3 parlor_webhook.py verify < body

Signing (docs/contract.md, section 3): Parlor-Signature: t=<unix seconds>,
v1=<lowercase hex HMAC-SHA256(secret, "<t>." + raw body)>; a signature more than 300 s old or
ahead is refused.
"""
import hashlib
import hmac
import json
import os
import sys
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timezone

SKEW = 300


def sign(secret: str, body: bytes, t: int) -> str:
    mac = hmac.new(secret.encode(), str(t).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def verify(secret: str, header: str, body: bytes, now: int) -> bool:
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        t = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - t) > SKEW:
        return False
    return hmac.compare_digest(sign(secret, body, t).split(",v1=")[1], parts.get("v1", ""))


def send(url: str, network: str, secret: str, sender: str, to: str, text: str) -> int:
    envelope = {
        "id": "py-" + uuid.uuid4().hex,
        "from": sender,
        "to": to,
        "sentAt": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "content": {"type": "text", "text": text},
    }
    body = json.dumps(envelope).encode()
    request = urllib.request.Request(
        f"{url}/v1/networks/{network}/messages", data=body, method="POST",
        headers={"Content-Type": "application/json", "Parlor-Signature": sign(secret, body, int(time.time()))})
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            print(r.status, r.read().decode())
            return r.status
    except urllib.error.HTTPError as e:
        print(e.code, e.read().decode())
        return e.code


if __name__ == "__main__":
    secret = os.environ["PARLOR_SECRET"]
    if sys.argv[1:2] == ["send"] and len(sys.argv) == 5:
        status = send(os.environ["PARLOR_URL"], os.environ["PARLOR_NETWORK"], secret, *sys.argv[2:5])
        sys.exit(0 if status == 202 else 1)
    if sys.argv[1:] == ["verify"]:
        ok = verify(secret, os.environ["PARLOR_SIGNATURE"], sys.stdin.buffer.read(), int(time.time()))
        print("valid" if ok else "invalid")
        sys.exit(0 if ok else 1)
    sys.exit("usage: parlor_webhook.py send FROM TO TEXT | verify")
