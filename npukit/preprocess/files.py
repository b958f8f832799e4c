"""Reading AIPP config files: ATC ``insert_op_conf`` text and its TOML twin.

Both give the same flat ``{field: value}`` dicts, checked by
``config.from_dict``; so an ATC file and the equivalent TOML parse to equal
``AippConfig`` objects.  One ``aipp_op`` block per model input.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from npukit.preprocess.config import AippConfig, AippError, from_dict, suggest, to_dict

try:
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib

_TOKEN = re.compile(r'\s*(?:(?P<open>[A-Za-z_]\w*)\s*\{|(?P<close>\})|'
                    r'(?P<key>[A-Za-z_]\w*)\s*:\s*(?P<val>"[^"]*"|[^\s#}]+))')


def parse_atc_blocks(text: str) -> list[dict[str, str]]:
    """The ``aipp_op { key : value … }`` blocks of an ATC insert_op_conf text, raw."""
    text = re.sub(r"#[^\n]*", "", text)
    blocks: list[dict[str, str]] = []
    pos, cur = 0, None
    while pos < len(text.rstrip()):
        m = _TOKEN.match(text, pos)
        start = len(text) - len(text[pos:].lstrip()) if m is None else m.start(
            next(g for g in ("open", "close", "key") if m[g]))
        line = text.count("\n", 0, start) + 1
        if not m:
            raise AippError(f"cannot parse line {line}: {text[pos:].strip()[:40]!r}",
                            rule="syntax", hint="expected 'aipp_op {', 'key : value' or '}'")
        pos = m.end()
        if m["open"]:
            if cur is not None or m["open"] != "aipp_op":
                raise AippError(f"line {line}: unexpected block '{m['open']}'", rule="syntax",
                                hint=suggest(m["open"], ["aipp_op"]) or "one aipp_op per input")
            cur = {}
        elif m["close"]:
            if cur is None:
                raise AippError(f"line {line}: '}}' without 'aipp_op {{'", rule="syntax")
            blocks.append(cur)
            cur = None
        else:
            if cur is None:
                raise AippError(f"line {line}: '{m['key']}' outside an aipp_op block",
                                rule="syntax")
            if m["key"] in cur:
                raise AippError(f"line {line}: field '{m['key']}' given twice",
                                rule="each_stage_once")
            cur[m["key"]] = m["val"]
    if cur is not None:
        raise AippError("aipp_op block is not closed with '}'", rule="syntax")
    return blocks


def _checked(configs: list[AippConfig]) -> list[AippConfig]:
    ranks = [c.related_input_rank for c in configs]
    if len(set(ranks)) != len(ranks):
        raise AippError(f"two aipp_op blocks for the same input rank in {ranks}",
                        rule="one_block_per_input")
    if not configs:
        raise AippError("no aipp_op block found", rule="syntax")
    return configs


def _one(configs: list[AippConfig], rank: int | None) -> AippConfig:
    ranks = [c.related_input_rank for c in _checked(configs)]
    if rank is None:
        if len(configs) > 1:
            raise AippError(f"{len(configs)} aipp_op blocks (ranks {ranks})",
                            rule="one_block_per_input", hint="pass rank=… to pick one")
        return configs[0]
    for c in configs:
        if c.related_input_rank == rank:
            return c
    raise AippError(f"no aipp_op block for input rank {rank} (have {ranks})",
                    rule="one_block_per_input")


def parse_atc(text: str, rank: int | None = None) -> AippConfig:
    """The config of ATC insert_op_conf ``text`` (its only block, or the one for ``rank``)."""
    return _one([from_dict(b) for b in parse_atc_blocks(text)], rank)


def parse_toml(text: str, rank: int | None = None) -> AippConfig:
    """The same fields in TOML: ``[[aipp_op]]`` tables, or top-level keys for one input."""
    return _one(_toml_configs(text), rank)


def _toml_configs(text: str) -> list[AippConfig]:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise AippError(f"not valid TOML: {e}", rule="syntax") from None
    blocks = doc.pop("aipp_op", None)
    if blocks is None:
        blocks = [doc]
    elif doc:
        name = next(iter(doc))
        raise AippError(f"unknown top-level key '{name}' beside [[aipp_op]] tables",
                        rule="known_fields", hint=suggest(name, ["aipp_op"]))
    if isinstance(blocks, dict):
        blocks = [blocks]
    return [from_dict(b) for b in blocks]


def _read(path: str | Path) -> tuple[Path, str]:
    p = Path(path)
    try:
        return p, p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        why = getattr(e, "strerror", None) or str(e)
        raise AippError(f"cannot read AIPP config {p}: {why}", rule="file") from None


def load_aipp(path: str | Path, rank: int | None = None) -> AippConfig:
    """Read an AIPP config file: TOML if it ends in ``.toml``, else ATC text."""
    p, text = _read(path)
    return parse_toml(text, rank) if p.suffix.lower() == ".toml" else parse_atc(text, rank)


def load_aipp_all(path: str | Path) -> list[AippConfig]:
    """Every ``aipp_op`` block of an AIPP config file (one per model input, by rank)."""
    p, text = _read(path)
    configs = _toml_configs(text) if p.suffix.lower() == ".toml" else \
        [from_dict(b) for b in parse_atc_blocks(text)]
    return _checked(configs)


def _value_text(v: Any, toml: bool) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return f'"{v}"' if toml else v
    return repr(v)


def to_atc(cfg: AippConfig) -> str:
    """``cfg`` as an ATC ``aipp_op`` block; ``parse_atc(to_atc(c)) == c``."""
    body = "".join(f"    {k} : {_value_text(v, False)}\n" for k, v in to_dict(cfg).items())
    return "aipp_op {\n" + body + "}\n"


def to_toml(cfg: AippConfig) -> str:
    """``cfg`` as one ``[[aipp_op]]`` TOML table; ``parse_toml(to_toml(c)) == c``."""
    return "[[aipp_op]]\n" + "".join(f"{k} = {_value_text(v, True)}\n"
                                      for k, v in to_dict(cfg).items())


def read_image_rgb(path: str | Path) -> np.ndarray:
    """An ordinary image file (JPEG, PNG …) decoded to RGB uint8 ``(H, W, 3)`` by Pillow.

    For ``npukit run`` and calibration on a PC; a board gets its frames from the
    camera, so Pillow is imported only here.
    """
    from PIL import Image, UnidentifiedImageError
    p = Path(path)
    try:
        with Image.open(p) as img:
            return np.asarray(img.convert("RGB"))
    except (OSError, UnidentifiedImageError) as e:
        raise AippError(f"cannot decode image {p}: {e}", rule="file",
                        hint="give a JPEG/PNG/BMP image or a raw frame") from None
