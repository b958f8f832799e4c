"""The ``.npk`` offline model file: a safetensors container with a JSON manifest.

Layer 4: imports only ``npukit.errors``, NumPy and the stdlib (``cryptography``
lazily, when a file is encrypted or decrypted), so the runtime can open models
on a board with NumPy alone.  The format is documented in docs/npk-format.md.

>>> write_npk("m.npk", {"target": "rk3588", "program": {...}}, {"w0": w})  # doctest: +SKIP
>>> npk = read_npk("m.npk")                                                  # doctest: +SKIP
>>> npk.manifest["target"], npk.tensors["w0"]                                # doctest: +SKIP
"""

from npukit.npk.crypto import DEFAULT_KEY_ENV, generate_key, key_fingerprint, load_key
from npukit.npk.errors import (
    NpkChecksumError,
    NpkDecryptError,
    NpkDependencyError,
    NpkError,
    NpkExistsError,
    NpkForeignError,
    NpkFormatError,
    NpkKeyError,
    NpkNotFoundError,
    NpkTruncatedError,
    NpkVersionError,
    NpkWriteError,
)
from npukit.npk.manifest import FORMAT, FORMAT_VERSION
from npukit.npk.npkfile import NpkFile, TensorMap
from npukit.npk.reader import read_npk
from npukit.npk.versions import register_reader, supported_versions, unregister_reader
from npukit.npk.writer import write_npk

__all__ = [
    "DEFAULT_KEY_ENV", "FORMAT", "FORMAT_VERSION",
    "NpkChecksumError", "NpkDecryptError", "NpkDependencyError", "NpkError",
    "NpkExistsError", "NpkFile", "NpkForeignError", "NpkFormatError", "NpkKeyError",
    "NpkNotFoundError", "NpkTruncatedError", "NpkVersionError", "NpkWriteError",
    "TensorMap", "generate_key", "key_fingerprint", "load_key", "read_npk",
    "register_reader", "supported_versions", "unregister_reader", "write_npk",
]
