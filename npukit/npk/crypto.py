"""Optional AES-256-GCM encryption of a whole ``.npk`` file.

Encrypted layout (all integers little-endian)::

    b"NPKENC1\\0"   8-byte magic
    u32            length H of the envelope header
    H bytes        envelope header, JSON (plaintext, authenticated)
    12 bytes       random nonce
    rest           AES-256-GCM ciphertext of the plain .npk file, then the 16-byte tag

The associated data is everything before the nonce (magic, length, header),
so any change to the header, nonce, ciphertext or tag fails authentication.
The header names the key by fingerprint (the first 8 bytes of SHA-256 of the
key, in hex: the start of ``sha256sum keyfile`` for a raw key file), never
the key itself.  ``cryptography`` is imported only here, and only when a file
is actually encrypted or decrypted.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import string
from pathlib import Path
from typing import Any, Union

from npukit.npk.errors import (
    NpkDecryptError,
    NpkDependencyError,
    NpkFormatError,
    NpkKeyError,
    NpkVersionError,
    corrupt_hint,
)

MAGIC = b"NPKENC1\0"
ENVELOPE_FORMAT = "npukit-npk-encrypted"
ENVELOPE_VERSION = 1
CIPHER = "AES-256-GCM"
DEFAULT_KEY_ENV = "NPUKIT_KEY"
KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
MAX_ENVELOPE_HEADER = 65536
MAX_PLAINTEXT = 2**31 - 1  # cryptography's AESGCM limit per message

KeySpec = Union[bytes, bytearray, str, "os.PathLike[str]"]

_KEY_HELP = (f"give key= as 32 raw bytes, 'file:PATH' (32 raw bytes or 64 hex digits), "
             f"'env:NAME' (64 hex digits), or set {DEFAULT_KEY_ENV}")


def key_fingerprint(key: bytes) -> str:
    """First 8 bytes of SHA-256 of the key, as 16 hex digits (safe to show and store)."""
    return hashlib.sha256(key).hexdigest()[:16]


def generate_key() -> bytes:
    """A fresh random 32-byte AES-256 key."""
    return secrets.token_bytes(KEY_BYTES)


def _from_hex(text: str, where: str) -> bytes:
    text = text.strip()
    if len(text) != 2 * KEY_BYTES or not all(c in string.hexdigits for c in text):
        raise NpkKeyError(f"{where} must hold a 64-hex-digit (32-byte) key, "
                          f"got {len(text)} characters", hint=_KEY_HELP)
    return bytes.fromhex(text)


def load_key(spec: KeySpec) -> bytes:
    """Resolve a key spec to 32 raw bytes.

    ``spec`` is 32 raw bytes; ``"env:NAME"`` (``"env:"`` alone means
    ``NPUKIT_KEY``), a variable holding 64 hex digits; ``"file:PATH"`` or a plain
    path, a file holding 32 raw bytes or 64 hex digits.
    """
    if isinstance(spec, (bytes, bytearray)):
        if len(spec) != KEY_BYTES:
            raise NpkKeyError(f"an AES-256 key is {KEY_BYTES} bytes, got {len(spec)}",
                              hint=_KEY_HELP)
        return bytes(spec)
    if isinstance(spec, str) and spec.startswith("env:"):
        name = spec[4:] or DEFAULT_KEY_ENV
        value = os.environ.get(name)
        if value is None:
            raise NpkKeyError(f"environment variable {name} is not set", hint=_KEY_HELP)
        return _from_hex(value, f"environment variable {name}")
    if isinstance(spec, str) and spec.startswith("file:"):
        spec = spec[5:]
    elif (isinstance(spec, str) and len(spec) == 2 * KEY_BYTES
          and all(c in string.hexdigits for c in spec) and not os.path.exists(spec)):
        raise NpkKeyError("a key written out as hex in a string is not accepted (and is "
                          "not repeated here)", hint="use bytes.fromhex(...), or " + _KEY_HELP)
    if not isinstance(spec, (str, os.PathLike)):
        raise NpkKeyError(f"cannot use a {type(spec).__name__} as a key", hint=_KEY_HELP)
    path = Path(spec)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise NpkKeyError(f"cannot read key file {path}: {e.strerror or e}",
                          hint=_KEY_HELP) from None
    if len(data) == KEY_BYTES:
        return data
    try:
        return _from_hex(data.decode("ascii"), f"key file {path}")
    except UnicodeDecodeError:
        raise NpkKeyError(f"key file {path} must hold 32 raw bytes or 64 hex digits, "
                          f"got {len(data)} bytes", hint=_KEY_HELP) from None


def _aesgcm(key: bytes) -> Any:
    try:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    except ImportError:
        raise NpkDependencyError("encrypted .npk files need the 'cryptography' package, "
                                 "which is not installed",
                                 hint="pip install cryptography") from None
    return AESGCM(key)


def encrypt(plaintext: bytes | bytearray, key: bytes) -> bytes:
    """Seal a plain ``.npk`` file's bytes into the encrypted layout."""
    if len(plaintext) > MAX_PLAINTEXT:
        raise NpkKeyError(f"encrypted .npk files are limited to {MAX_PLAINTEXT} bytes "
                          f"(this one would be {len(plaintext)})",
                          hint="write the model unencrypted, or reduce its size")
    header = json.dumps({"format": ENVELOPE_FORMAT, "envelope_version": ENVELOPE_VERSION,
                         "cipher": CIPHER, "key_fingerprint": key_fingerprint(key)},
                        sort_keys=True, separators=(",", ":")).encode("ascii")
    aad = MAGIC + len(header).to_bytes(4, "little") + header
    nonce = secrets.token_bytes(NONCE_BYTES)
    return aad + nonce + _aesgcm(key).encrypt(nonce, plaintext, aad)


def _envelope(blob: bytes | bytearray, path: Path) -> tuple[dict[str, Any], int]:
    """Parse the plaintext envelope; returns (header, offset of the nonce)."""
    def fail(what: str) -> NpkFormatError:
        return NpkFormatError(f"{path}: encrypted .npk file is corrupt: {what}",
                              hint=corrupt_hint())
    if len(blob) < len(MAGIC) + 4:
        raise fail("too short")
    n = int.from_bytes(blob[8:12], "little")
    if n > MAX_ENVELOPE_HEADER or 12 + n + NONCE_BYTES + TAG_BYTES > len(blob):
        raise fail(f"envelope header length {n} does not fit the {len(blob)}-byte file")
    try:
        header = json.loads(blob[12:12 + n].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise fail(f"envelope header is not JSON ({e})") from None
    if not isinstance(header, dict) or header.get("format") != ENVELOPE_FORMAT:
        raise fail("envelope header does not name the npukit encrypted format")
    version = header.get("envelope_version")
    if version != ENVELOPE_VERSION:
        raise NpkVersionError(f"{path}: encrypted with envelope version {version!r}; this "
                              f"npukit reads version {ENVELOPE_VERSION}",
                              hint="upgrade npukit (pip install -U npukit)")
    if header.get("cipher") != CIPHER or not isinstance(header.get("key_fingerprint"), str):
        raise fail(f"envelope header names cipher {header.get('cipher')!r}, "
                   f"expected {CIPHER!r} and a key fingerprint")
    return header, 12 + n


def decrypt(blob: bytes | bytearray, key: KeySpec | None, path: Path) -> bytes:
    """Open an encrypted ``.npk`` file's bytes; returns the plain ``.npk`` bytes."""
    header, at = _envelope(blob, path)
    expected = header["key_fingerprint"]
    if key is None:
        if os.environ.get(DEFAULT_KEY_ENV) is None:
            raise NpkKeyError(f"{path} is encrypted (key fingerprint {expected}) and no key "
                              "was given", hint=_KEY_HELP)
        key = f"env:{DEFAULT_KEY_ENV}"
    raw = load_key(key)
    given = key_fingerprint(raw)
    if given != expected:
        raise NpkKeyError(f"{path}: wrong key (fingerprint {expected} expected, {given} given)",
                          hint="use the key the file was encrypted with")
    aes = _aesgcm(raw)
    from cryptography.exceptions import InvalidTag  # importable: _aesgcm checked

    try:
        view = memoryview(blob)
        return aes.decrypt(bytes(view[at:at + NONCE_BYTES]), view[at + NONCE_BYTES:],
                           bytes(view[:at]))
    except OverflowError:
        raise NpkFormatError(f"{path}: encrypted payload exceeds {MAX_PLAINTEXT} bytes, "
                             "which no npukit writer produces", hint=corrupt_hint()) from None
    except InvalidTag:
        raise NpkDecryptError(f"{path}: authentication failed: the encrypted file was "
                              "modified or damaged after it was written (the key is right)",
                              hint=corrupt_hint()) from None
