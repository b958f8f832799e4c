"""Read a profile TOML file and build a validated :class:`TargetProfile`.

Every rule comes from the field declarations in :mod:`npukit.targets.schema`
(type hints plus ``metadata``).  Errors name the file, the dotted field, what
was expected and what was found; an unknown field gets the nearest valid name.
"""

from __future__ import annotations

import dataclasses
import difflib
import sys
import typing
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from npukit.targets.schema import (
    DTYPES,
    FLOAT_DTYPES,
    PROVENANCE_LABELS,
    TargetError,
    TargetProfile,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

_TYPE_WORDS = {int: "an integer", float: "a number", bool: "true or false", str: "a string"}


def load_profile_file(path: str | Path) -> TargetProfile:
    """Load and validate one profile file; raise :class:`TargetError` naming the fault."""
    p = Path(path)
    try:
        with p.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise TargetError(f"target profile {str(p)!r} does not exist") from None
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise TargetError(f"target profile {str(p)!r} is not valid TOML: {e}") from None
    return profile_from_dict(data, source=str(p))


def profile_from_dict(data: Mapping[str, Any], source: str = "<dict>") -> TargetProfile:
    """Validate a parsed profile (a TOML table) and build the dataclass tree."""
    prof = _build(TargetProfile, data, "", source)
    prof = dataclasses.replace(prof, source_path=source)
    _cross_checks(prof, source)
    return prof


def _fail(source: str, path: str, msg: str, hint: str | None = None) -> TargetError:
    return TargetError(f"target profile {source!r}: field {path!r} {msg}", hint=hint)


def _build(cls: type, data: Any, prefix: str, source: str) -> Any:
    where = prefix.rstrip(".") or "(top level)"
    if not isinstance(data, Mapping):
        raise _fail(source, where, f"must be a table, found {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if not f.metadata.get("internal")}
    for key in data:
        if key not in fields:
            near = difflib.get_close_matches(key, list(fields), n=1, cutoff=0.5)
            raise _fail(source, prefix + key, "is not a known field",
                        hint=(f"did you mean {prefix + near[0]!r}? " if near else "")
                        + f"valid fields here: {', '.join(fields)}")
    kwargs: dict[str, Any] = {}
    for name, f in fields.items():
        path = prefix + name
        if name not in data:
            no_default = (f.default is dataclasses.MISSING
                          and f.default_factory is dataclasses.MISSING)
            if no_default:
                raise _fail(source, path, "is missing", hint=f"add it: {f.metadata['doc']}")
            continue
        kwargs[name] = _convert(hints[name], data[name], f.metadata, path, source)
    return cls(**kwargs)


def _convert(tp: Any, value: Any, meta: Mapping[str, Any], path: str, source: str) -> Any:
    if dataclasses.is_dataclass(tp):
        return _build(tp, value, path + ".", source)
    origin = typing.get_origin(tp)
    if origin is tuple:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise _fail(source, path, f"must be a list of strings, found {value!r}")
        if meta.get("nonempty") and not value:
            raise _fail(source, path, "must not be empty")
        if meta.get("dtype_items"):
            for v in value:
                _check_dtype(v, path, source)
        return tuple(value)
    if origin is not None:  # Mapping[str, X]
        return _convert_table(typing.get_args(tp)[1], value, meta, path, source)
    return _scalar(tp, value, meta, path, source)


def _convert_table(vt: type, value: Any, meta: Mapping[str, Any], path: str,
                   source: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _fail(source, path, f"must be a table of {_TYPE_WORDS[vt]}s, "
                    f"found {type(value).__name__}")
    keys = meta.get("keys")
    out: dict[str, Any] = {}
    for k, v in value.items():
        if meta.get("dtype_keys"):
            _check_dtype(k, f"{path}.{k}", source)
        if keys and k not in keys:
            near = difflib.get_close_matches(k, list(keys), n=1)
            raise _fail(source, f"{path}.{k}", "is not a known key",
                        hint=(f"did you mean {near[0]!r}? " if near else "")
                        + f"valid keys: {', '.join(keys)}")
        out[k] = _scalar(vt, v, meta, f"{path}.{k}", source)
    if path.endswith("provenance"):
        _check_provenance(out, path, source)
    return MappingProxyType(out)


def _scalar(tp: type, value: Any, meta: Mapping[str, Any], path: str, source: str) -> Any:
    ok = (isinstance(value, tp) and not (tp is not bool and isinstance(value, bool))) or (
        tp is float and isinstance(value, int) and not isinstance(value, bool))
    if not ok:
        raise _fail(source, path, f"must be {_TYPE_WORDS[tp]} ({tp.__name__}), "
                    f"found {value!r} ({type(value).__name__})")
    value = float(value) if tp is float else value
    lo, hi, choices = meta.get("min"), meta.get("max"), meta.get("choices")
    if choices is not None and value not in choices:
        near = difflib.get_close_matches(str(value), choices, n=1)
        raise _fail(source, path, f"is {value!r}; it must be one of {', '.join(choices)}",
                    hint=f"did you mean {near[0]!r}?" if near else None)
    if tp is not bool and lo is not None and value < lo:
        raise _fail(source, path, f"is {value!r}; it must be ≥ {lo}")
    if tp is not bool and hi is not None and value > hi:
        raise _fail(source, path, f"is {value!r}; it must be ≤ {hi}")
    return value


def _check_dtype(name: str, path: str, source: str) -> None:
    if name not in DTYPES:
        near = difflib.get_close_matches(name, list(DTYPES), n=1)
        raise _fail(source, path, f"names dtype {name!r}, which npukit does not know",
                    hint=(f"did you mean {near[0]!r}? " if near else "")
                    + f"known dtypes: {', '.join(DTYPES)}")


def _check_provenance(prov: Mapping[str, str], path: str, source: str) -> None:
    for k, label in prov.items():
        word = label.split(":", 1)[0].strip()
        if word not in PROVENANCE_LABELS:
            raise _fail(source, f"{path}.{k}", f"has label {label!r}; it must start with one "
                        f"of {', '.join(PROVENANCE_LABELS)} followed by ':'")


def _cross_checks(p: TargetProfile, source: str) -> None:
    """Rules that tie fields together (each error names the fields involved)."""
    for sec in ("npu", "memory", "numerics", "layout", "cpu", "ops"):
        spec = getattr(p, sec)
        names = {f.name for f in dataclasses.fields(spec)}
        for key in spec.provenance:
            if key.split(".")[0] not in names:
                near = difflib.get_close_matches(key.split(".")[0], names, n=1)
                raise _fail(source, f"{sec}.provenance.{key}", "refers to no field of "
                            f"[{sec}]", hint=f"did you mean {near[0]!r}?" if near else None)
    if "int8" not in p.npu.macs_per_cycle:
        raise _fail(source, "npu.macs_per_cycle", "has no int8 entry",
                    hint="every profile states its INT8 MACs per cycle per core")
    block = p.npu.atomic_c * p.npu.atomic_k
    if p.npu.macs_per_cycle["int8"] % block:
        raise _fail(source, "npu.atomic_c", f"× npu.atomic_k = {block} does not divide "
                    f"npu.macs_per_cycle.int8 = {p.npu.macs_per_cycle['int8']}")
    stated = p.npu.stated_tops_int8
    if stated and abs(p.peak_tops_int8 - stated) > 0.05 * stated:
        raise _fail(source, "npu.stated_tops_int8",
                    f"is {stated} but cores × macs_per_cycle.int8 × 2 × clock gives "
                    f"{p.peak_tops_int8:.3f} TOPS (more than 5 % apart)")
    has_float = any(d in FLOAT_DTYPES for d in p.numerics.activation_dtypes)
    if p.numerics.float_on_npu != has_float:
        raise _fail(source, "numerics.float_on_npu",
                    f"is {str(p.numerics.float_on_npu).lower()} but "
                    f"numerics.activation_dtypes {'has' if has_float else 'has no'} float dtype")
    if p.name.lower() != p.name or not p.name:
        raise _fail(source, "name", f"is {p.name!r}; target names are lower case")
