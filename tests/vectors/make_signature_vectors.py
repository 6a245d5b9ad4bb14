"""Known-answer vectors for the signature profiles of incoming webhooks, signed with Python's
`hmac` (independent of the RustCrypto crates under test), plus GitHub's published example.

Run: python3 tests/vectors/make_signature_vectors.py > tests/vectors/signatures.json
The inputs are fixed, so the output is the same on every run (diff it to check the committed file).

Each case: a profile (`signature` as the API takes it, its secret included), the request's headers
and body, the receiver's clock `now`, and what verification must give: the delivery id and whether
a replay guard is claimed, or the error code.
"""
import base64
import hashlib
import hmac
import json

NOW = 1_767_225_600  # 2026-01-01T00:00:00Z
BODY = '{"id":"evt_1","customer":{"email":"ada@example.com"},"total_price":"199.00"}'
OTHER = BODY.replace("199.00", "999.00")


def mac(secret: str, content: str, digest=hashlib.sha256) -> bytes:
    return hmac.new(secret.encode(), content.encode(), digest).digest()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def ok(delivery_id, guarded):
    return {"ok": {"delivery_id": delivery_id, "guarded": guarded}}


REFUSED = {"error": "invalid_signature"}
cases = []


def case(name, signature, headers, expect, body=BODY, now=NOW):
    cases.append({"name": name, "signature": signature, "headers": headers, "body": body,
                  "now": now, "expect": expect})


# GitHub's documented example ("Validating webhook deliveries"): this exact secret and payload.
GH_DOC = "It's a Secret to Everybody"
case("github: the documented example", {"scheme": "github", "secret": GH_DOC},
     {"X-Hub-Signature-256": "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
      "X-GitHub-Delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958"},
     ok("72d3162e-cc78-11e3-81ab-4c9367dc0958", True), body="Hello, World!")
assert hmac.new(GH_DOC.encode(), b"Hello, World!", hashlib.sha256).hexdigest() == \
    "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"

GH = "gh-secret"
gh_sig = "sha256=" + mac(GH, BODY).hex()
case("github: signed body", {"scheme": "github", "secret": GH},
     {"X-Hub-Signature-256": gh_sig, "X-GitHub-Delivery": "d-1"}, ok("d-1", True))
case("github: upper-case hex", {"scheme": "github", "secret": GH},
     {"X-Hub-Signature-256": "sha256=" + mac(GH, BODY).hex().upper(), "X-GitHub-Delivery": "d-1"}, ok("d-1", True))
case("github: tampered body", {"scheme": "github", "secret": GH},
     {"X-Hub-Signature-256": gh_sig, "X-GitHub-Delivery": "d-1"}, REFUSED, body=OTHER)
case("github: wrong secret", {"scheme": "github", "secret": "not-" + GH},
     {"X-Hub-Signature-256": gh_sig}, REFUSED)
case("github: the old sha1 header alone", {"scheme": "github", "secret": GH},
     {"X-Hub-Signature": "sha1=" + hmac.new(GH.encode(), BODY.encode(), hashlib.sha1).hexdigest()}, REFUSED)
case("github: no delivery id still verifies", {"scheme": "github", "secret": GH},
     {"X-Hub-Signature-256": gh_sig}, ok(None, True))

SHOP = "shpss_0123456789abcdef"
shop_sig = b64(mac(SHOP, BODY))
case("shopify: signed body", {"scheme": "shopify", "secret": SHOP},
     {"X-Shopify-Hmac-Sha256": shop_sig, "X-Shopify-Webhook-Id": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"},
     ok("b54557e4-bdd9-4b37-8a5f-bf7d70bcd043", True))
case("shopify: tampered body", {"scheme": "shopify", "secret": SHOP},
     {"X-Shopify-Hmac-Sha256": shop_sig}, REFUSED, body=OTHER)
case("shopify: hex instead of base64", {"scheme": "shopify", "secret": SHOP},
     {"X-Shopify-Hmac-Sha256": mac(SHOP, BODY).hex()}, REFUSED)
case("shopify: missing header", {"scheme": "shopify", "secret": SHOP}, {}, REFUSED)

WC = "wc-secret"
case("woocommerce: signed body", {"scheme": "woocommerce", "secret": WC},
     {"X-WC-Webhook-Signature": b64(mac(WC, BODY)), "X-WC-Webhook-Delivery-ID": "7d0a"}, ok("7d0a", True))
case("woocommerce: wrong secret", {"scheme": "woocommerce", "secret": WC},
     {"X-WC-Webhook-Signature": b64(mac("other", BODY))}, REFUSED)

STRIPE = "whsec_test_secret"


def stripe_header(t, *secrets, content=BODY):
    return ",".join([f"t={t}"] + [f"v1={mac(s, f'{t}.{content}').hex()}" for s in secrets])


case("stripe: signed event, id from the body", {"scheme": "stripe", "secret": STRIPE},
     {"Stripe-Signature": stripe_header(NOW - 10, STRIPE)}, ok("evt_1", False))
case("stripe: a rolled secret signs twice", {"scheme": "stripe", "secret": STRIPE},
     {"Stripe-Signature": stripe_header(NOW, "whsec_old", STRIPE)}, ok("evt_1", False))
case("stripe: v0 signatures are not accepted", {"scheme": "stripe", "secret": STRIPE},
     {"Stripe-Signature": stripe_header(NOW, STRIPE).replace("v1=", "v0=")}, REFUSED)
case("stripe: older than the tolerance", {"scheme": "stripe", "secret": STRIPE},
     {"Stripe-Signature": stripe_header(NOW - 301, STRIPE)}, REFUSED)
case("stripe: the same age is accepted ahead", {"scheme": "stripe", "secret": STRIPE},
     {"Stripe-Signature": stripe_header(NOW + 300, STRIPE)}, ok("evt_1", False))
case("stripe: tampered body", {"scheme": "stripe", "secret": STRIPE},
     {"Stripe-Signature": stripe_header(NOW, STRIPE)}, REFUSED, body=OTHER)
case("stripe: a body without an id is guarded", {"scheme": "stripe", "secret": STRIPE},
     {"Stripe-Signature": stripe_header(NOW, STRIPE, content='{"n":1}')}, ok(None, True), body='{"n":1}')
case("stripe: the timestamp is signed", {"scheme": "stripe", "secret": STRIPE},
     {"Stripe-Signature": stripe_header(NOW, STRIPE).replace(f"t={NOW}", f"t={NOW - 1}")}, REFUSED)

SW = "whsec_" + b64(b"standard-webhooks-key-24b")
sw_sig = "v1," + b64(hmac.new(base64.b64decode(SW[6:]), f"msg_1.{NOW}.{BODY}".encode(), hashlib.sha256).digest())
case("standard webhooks: signed", {"scheme": "standard_webhooks", "secret": SW},
     {"webhook-id": "msg_1", "webhook-timestamp": str(NOW), "webhook-signature": sw_sig}, ok("msg_1", False))
case("standard webhooks: id changed", {"scheme": "standard_webhooks", "secret": SW},
     {"webhook-id": "msg_2", "webhook-timestamp": str(NOW), "webhook-signature": sw_sig}, REFUSED)

# Paddle (Billing) as its docs describe verifying: Paddle-Signature `ts=<unix>;h1=<hex>`, the
# HMAC-SHA256 of `{ts}:{raw body}` under the notification destination's secret key; the event's
# `event_id` is in the signed body.
PADDLE = "pdl_ntfset_01hv8wxyz_0123456789abcdefghijklmnop"
PADDLE_BODY = ('{"event_id":"evt_01hv8x2acma2gz3he2v1g5bdv7","event_type":"transaction.completed",'
               '"occurred_at":"2026-01-01T00:00:00.000000Z","notification_id":"ntf_01hv8x2af1d0trp1vqnh2nmx3b",'
               '"data":{"id":"txn_01hv8wptq8987qeep44cyrewp9","custom_data":{"email":"ada@example.com"},'
               '"details":{"totals":{"grand_total":"500"}}}}')


def paddle_header(ts, *secrets, content=PADDLE_BODY):
    return ";".join([f"ts={ts}"] + [f"h1={mac(s, f'{ts}:{content}').hex()}" for s in secrets])


case("paddle: signed event, id from the body", {"scheme": "paddle", "secret": PADDLE},
     {"Paddle-Signature": paddle_header(NOW - 10, PADDLE)}, ok("evt_01hv8x2acma2gz3he2v1g5bdv7", False),
     body=PADDLE_BODY)
case("paddle: a rotating secret signs twice", {"scheme": "paddle", "secret": PADDLE},
     {"Paddle-Signature": paddle_header(NOW, "pdl_ntfset_old", PADDLE)}, ok("evt_01hv8x2acma2gz3he2v1g5bdv7", False),
     body=PADDLE_BODY)
case("paddle: another secret", {"scheme": "paddle", "secret": PADDLE},
     {"Paddle-Signature": paddle_header(NOW, "pdl_ntfset_other")}, REFUSED, body=PADDLE_BODY)
case("paddle: older than the tolerance", {"scheme": "paddle", "secret": PADDLE},
     {"Paddle-Signature": paddle_header(NOW - 301, PADDLE)}, REFUSED, body=PADDLE_BODY)
case("paddle: the same age is accepted ahead", {"scheme": "paddle", "secret": PADDLE},
     {"Paddle-Signature": paddle_header(NOW + 300, PADDLE)}, ok("evt_01hv8x2acma2gz3he2v1g5bdv7", False),
     body=PADDLE_BODY)
case("paddle: tampered body", {"scheme": "paddle", "secret": PADDLE},
     {"Paddle-Signature": paddle_header(NOW, PADDLE)}, REFUSED, body=PADDLE_BODY.replace('"500"', '"50000"'))
case("paddle: the timestamp is signed", {"scheme": "paddle", "secret": PADDLE},
     {"Paddle-Signature": paddle_header(NOW, PADDLE).replace(f"ts={NOW}", f"ts={NOW - 1}")}, REFUSED,
     body=PADDLE_BODY)
case("paddle: signed over {ts}.{body}, Stripe's content, is refused", {"scheme": "paddle", "secret": PADDLE},
     {"Paddle-Signature": f"ts={NOW};h1={mac(PADDLE, f'{NOW}.{PADDLE_BODY}').hex()}"}, REFUSED, body=PADDLE_BODY)
case("paddle: pairs split by commas are not Paddle's", {"scheme": "paddle", "secret": PADDLE},
     {"Paddle-Signature": paddle_header(NOW, PADDLE).replace(";", ",")}, REFUSED, body=PADDLE_BODY)
case("paddle: a body without an event_id is guarded", {"scheme": "paddle", "secret": PADDLE},
     {"Paddle-Signature": paddle_header(NOW, PADDLE, content='{"n":1}')}, ok(None, True), body='{"n":1}')
case("paddle: missing header", {"scheme": "paddle", "secret": PADDLE}, {}, REFUSED, body=PADDLE_BODY)

# Standard Webhooks under Svix's header names (Clerk, Resend...): the same algorithm and secret.
# Svix's libraries publish the specification's example; Python's hmac makes it again.
SVIX_DOC = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SVIX_DOC_SIG = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
assert "v1," + b64(hmac.new(base64.b64decode(SVIX_DOC[6:]), b'msg_p5jXN8AQM9LWM0D4loKWxJek.1614265330.{"test": 2432232314}',
                            hashlib.sha256).digest()) == SVIX_DOC_SIG
case("svix: the published example", {"scheme": "svix", "secret": SVIX_DOC},
     {"svix-id": "msg_p5jXN8AQM9LWM0D4loKWxJek", "svix-timestamp": "1614265330", "svix-signature": SVIX_DOC_SIG},
     ok("msg_p5jXN8AQM9LWM0D4loKWxJek", False), body='{"test": 2432232314}', now=1614265330)


def svix_sig(secret, msg_id, ts, content=BODY):
    key = base64.b64decode(secret[len("whsec_"):])
    return "v1," + b64(hmac.new(key, f"{msg_id}.{ts}.{content}".encode(), hashlib.sha256).digest())


SVIX = "whsec_" + b64(b"svix-endpoint-signing-key")
svix_headers = {"svix-id": "msg_2", "svix-timestamp": str(NOW), "svix-signature": svix_sig(SVIX, "msg_2", NOW)}
case("svix: signed", {"scheme": "svix", "secret": SVIX}, svix_headers, ok("msg_2", False))
case("svix: several entries while a secret rotates", {"scheme": "svix", "secret": SVIX},
     {**svix_headers, "svix-signature": svix_sig("whsec_" + b64(b"the-retired-signing-key"), "msg_2", NOW)
      + " " + svix_sig(SVIX, "msg_2", NOW)}, ok("msg_2", False))
case("svix: Standard Webhooks' own header names are not Svix's", {"scheme": "svix", "secret": SVIX},
     {"webhook-id": "msg_2", "webhook-timestamp": str(NOW), "webhook-signature": svix_sig(SVIX, "msg_2", NOW)}, REFUSED)
case("svix: id changed", {"scheme": "svix", "secret": SVIX}, {**svix_headers, "svix-id": "msg_3"}, REFUSED)
case("svix: older than the tolerance", {"scheme": "svix", "secret": SVIX},
     {"svix-id": "msg_2", "svix-timestamp": str(NOW - 301), "svix-signature": svix_sig(SVIX, "msg_2", NOW - 301)}, REFUSED)
case("svix: tampered body", {"scheme": "svix", "secret": SVIX}, svix_headers, REFUSED, body=OTHER)

HM = "generic-secret"
plain512 = {"scheme": "hmac", "secret": HM, "header": "X-Signature", "algorithm": "sha512", "encoding": "hex"}
case("hmac: sha512 hex over the body", plain512,
     {"X-Signature": hmac.new(HM.encode(), BODY.encode(), hashlib.sha512).hexdigest()}, ok(None, True))
case("hmac: sha512 hex, tampered", plain512,
     {"X-Signature": hmac.new(HM.encode(), BODY.encode(), hashlib.sha512).hexdigest()}, REFUSED, body=OTHER)
prefixed = {"scheme": "hmac", "secret": HM, "header": "X-Sig", "algorithm": "sha256", "encoding": "base64",
            "prefix": "v1=", "id_header": "X-Event-Id"}
case("hmac: base64 with a prefix, id beside", prefixed,
     {"X-Sig": "v1=" + b64(mac(HM, BODY)), "X-Event-Id": "e-9"}, ok("e-9", True))
case("hmac: the prefix is required", prefixed, {"X-Sig": b64(mac(HM, BODY))}, REFUSED)
stamped = {"scheme": "hmac", "secret": HM, "header": "X-Sig", "algorithm": "sha256", "encoding": "hex",
           "timestamp_header": "X-Ts", "id_header": "X-Id", "signed_content": "{id}:{timestamp}:{body}",
           "tolerance": 60}
case("hmac: id and timestamp signed", stamped,
     {"X-Sig": mac(HM, f"e-1:{NOW - 60}:{BODY}").hex(), "X-Ts": str(NOW - 60), "X-Id": "e-1"}, ok("e-1", False))
case("hmac: a changed id breaks the signature", stamped,
     {"X-Sig": mac(HM, f"e-1:{NOW}:{BODY}").hex(), "X-Ts": str(NOW), "X-Id": "e-2"}, REFUSED)
case("hmac: outside its own tolerance", stamped,
     {"X-Sig": mac(HM, f"e-1:{NOW - 61}:{BODY}").hex(), "X-Ts": str(NOW - 61), "X-Id": "e-1"}, REFUSED)

print(json.dumps({"about": __doc__.strip().splitlines()[0], "cases": cases}, indent=1, ensure_ascii=False))
