"""Errors raised by the ``.npk`` reader and writer.

All derive from :class:`NpkError`, itself an :class:`npukit.errors.NpukitError`,
so the CLI prints the message (which names the file and the fix) and exits
non-zero.  The subclasses let callers and tests tell the failures apart.
"""

from __future__ import annotations

from npukit.errors import NpukitError

_RECOMPILE = "copy the file again, or re-create it with `npukit convert`"


class NpkError(NpukitError):
    """Any problem reading or writing an ``.npk`` file."""


class NpkNotFoundError(NpkError):
    """The path does not exist or is not a regular file."""


class NpkExistsError(NpkError):
    """The writer refused to overwrite an existing file (pass ``force=True``)."""


class NpkWriteError(NpkError):
    """The manifest or tensors given to the writer cannot be stored."""


class NpkFormatError(NpkError):
    """Not an ``.npk`` file, or its structure is corrupt (bad header, offsets, dtype)."""


class NpkTruncatedError(NpkFormatError):
    """The file ends before the data its header describes."""


class NpkForeignError(NpkFormatError):
    """A well-formed safetensors file that npukit did not write (no manifest)."""


class NpkVersionError(NpkError):
    """A format version this npukit cannot read (newer, or no reader registered)."""


class NpkChecksumError(NpkError):
    """The manifest or tensor bytes do not match the stored SHA-256 checksum."""


class NpkKeyError(NpkError):
    """An encryption key is missing, malformed, or not the one the file was sealed with."""


class NpkDecryptError(NpkError):
    """AES-GCM authentication failed: the encrypted file was modified or damaged."""


class NpkDependencyError(NpkError):
    """An optional dependency (``cryptography``) is needed but not installed."""


def corrupt_hint() -> str:
    """The standard advice for a damaged file."""
    return _RECOMPILE
