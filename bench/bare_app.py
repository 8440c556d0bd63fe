"""The ceiling: a bare ASGI app that answers every PUT with the seed's canned Winpay update reply.

No framework, no parsing, no signature check, no database. Served by the same stack as the
service (uvicorn, uvloop, httptools, one process, no access log), so the service's requests/s
divided by this app's, measured in the same run, is what all of the service's work costs.
"""

import json
from typing import Any

# The seed's response sample (seeds/winpay-update-invoice.txt), encoded once at import.
UPDATED = json.dumps(
    {
        "responseCode": "2000300",
        "responseMessage": "Invoice Updated",
        "responseDate": "2023-10-25T14:12:14+07:00",
        "responseData": {
            "id": "2edff262-6228-4da1-96d7-729bf9fc85f0",
            "ref": "0000001792131232161",
            "created_at": "2023-10-25 14:12:14",
            "redirect_url": "https://checkout.winpay.id/upu90zxyid",
            "back_url": "https://your-invoice-url.com",
            "customer": {
                "name": "Delina Prasetya",
                "email": "[email protected]",
                "phone": "082342341",
            },
            "products": [
                {
                    "uuid": "92cd6096-ab4a-4e79-be61-c4cdbeedd281",
                    "name": "01002676",
                    "qty": 1,
                    "price": 260000,
                }
            ],
        },
    },
    separators=(",", ":"),
).encode()
HEALTHY = b'{"status":"ok"}'


def _start(status: int, body: bytes) -> dict[str, Any]:
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    return {"type": "http.response.start", "status": status, "headers": headers}


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    # Drain the request body, as any real handler must before answering.
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    if scope["method"] == "PUT":
        status, body = 200, UPDATED
    elif scope["method"] == "GET" and scope["path"] == "/healthz":
        status, body = 200, HEALTHY
    else:
        status, body = 404, b"{}"
    await send(_start(status, body))
    await send({"type": "http.response.body", "body": body})
