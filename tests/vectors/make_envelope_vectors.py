"""Known-answer vectors for hookmap's encryption envelope, made with Python's `cryptography`
(an implementation independent of the RustCrypto crates under test).

Run: python3 tests/vectors/make_envelope_vectors.py > tests/vectors/envelope.json
The inputs are fixed, so the output is the same on every run: the committed file can be checked by
running the script again and diffing.
"""
import base64
import json

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY = "k3y-for-hookmap-vectors-32-chars"
IV = "iv-16-characters"
assert len(KEY) == 32 and len(IV) == 16

PLAINTEXTS = [
    '{}',
    '{"customer":{"email":"ada@example.com"},"reward":{"coins":50}}',
    '{"exactly":"sixteen"}'[:16],  # one full block: CBC adds a whole padding block
    json.dumps({"text": "héllo wörld ✓", "n": list(range(40))}, ensure_ascii=False),
]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def cbc(key: bytes, iv: bytes, plaintext: bytes) -> bytes:
    padder = padding.PKCS7(128).padder()
    padded = padder.update(plaintext) + padder.finalize()
    enc = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return enc.update(padded) + enc.finalize()


def gcm(key: bytes, iv: bytes, plaintext: bytes) -> bytes:
    # cryptography returns ciphertext || 16-byte tag, as the contract wants.
    return AESGCM(key).encrypt(iv, plaintext, None)


def main() -> None:
    key, iv = KEY.encode(), IV.encode()
    vectors = []
    for n, text in enumerate(PLAINTEXTS):
        pt = text.encode()
        vectors.append({"algorithm": "aes-256-cbc", "plaintext": text, "body": b64(cbc(key, iv, pt))})
        vectors.append({"algorithm": "aes-256-gcm", "plaintext": text, "body": b64(gcm(key, iv, pt))})
        # Per-message IVs in the {iv, data} envelope: 16 bytes for CBC, 12 and 16 for GCM.
        msg_iv16 = bytes(range(n, n + 16))
        msg_iv12 = bytes(range(100 + n, 112 + n))
        vectors.append({"algorithm": "aes-256-cbc", "plaintext": text,
                        "body": json.dumps({"iv": b64(msg_iv16), "data": b64(cbc(key, msg_iv16, pt))})})
        vectors.append({"algorithm": "aes-256-gcm", "plaintext": text,
                        "body": json.dumps({"iv": b64(msg_iv12), "data": b64(gcm(key, msg_iv12, pt))})})
        vectors.append({"algorithm": "aes-256-gcm", "plaintext": text,
                        "body": json.dumps({"iv": b64(msg_iv16), "data": b64(gcm(key, msg_iv16, pt))})})
    print(json.dumps({"generator": "python cryptography", "key": KEY, "iv": IV, "vectors": vectors}, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
