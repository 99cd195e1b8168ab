"""A reviewer's own configuration, ``iqc.toml``: which codes to report, how severe, how strict.

Reviewers live with a checker for months and need to silence a noisy rule or demand more
confidence from a family without editing the package's ``data/`` (which would also change the
model's fingerprint and make ``nlp.load()`` refuse the model). So a configuration never changes
scoring; :mod:`nlp.adjust` applies it to the scorer's output. Every key is checked: a misspelt key
would otherwise be silently ignored and the reviewer would believe a rule was off.

Found by :func:`find_config`: ``--config FILE``, else ``$IQC_CONFIG``, else ``./iqc.toml``.
"""
from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nlp.chinese import to_simplified
from nlp.codes import SEVERITIES, catalogue
from nlp.schema import FAMILIES

CONFIG_ENV = "IQC_CONFIG"
CONFIG_NAME = "iqc.toml"

_TOP_KEYS = {"codes", "thresholds", "province", "provinces"}
_CODES_KEYS = {"disable", "severity", "min_severity", "exceptions"}
_PROVINCE_KEYS = {"aliases", "required_dimensions"}


class ConfigError(ValueError):
    """A configuration that cannot be used; the message is one line naming the file and key."""


@dataclass(frozen=True)
class Province:
    """A province's own 二级 names (``aliases``: its name -> canonical name) and the 二级 its tables
    must fill (replacing the framework's list for T1)."""

    aliases: Mapping[str, str] = field(default_factory=dict)
    required_dimensions: tuple[str, ...] = ()

    def required_groups(self) -> tuple[dict, ...] | None:
        """The required dimensions as :func:`nlp.completeness.table_gaps` takes them (None: the framework's)."""
        return tuple({"name": name, "any": [name]} for name in self.required_dimensions) or None

    def analysed_view(self, columns: dict[str, list[str]]) -> dict[str, list[str]]:
        """``columns`` with 一级/二级 cells spelled the province's way replaced by the canonical
        name, for analysis only (outputs keep the cells as written)."""
        if not self.aliases:
            return columns
        view = dict(columns)
        for level in ("level1", "level2"):
            view[level] = [self.aliases.get(cell.strip(), cell) for cell in columns[level]]
        return view


@dataclass(frozen=True)
class Config:
    """The effective configuration; ``Config()`` is the package's behaviour unchanged."""

    disable: frozenset[str] = frozenset()
    severity: Mapping[str, str] = field(default_factory=dict)
    min_severity: str = "info"
    #: code -> words: a finding of the code is not reported when the row's name or the cell the
    #: finding quotes holds one of them
    exceptions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    thresholds: Mapping[str, float] = field(default_factory=dict)
    province: str = ""
    provinces: Mapping[str, Province] = field(default_factory=dict)
    source: str = ""

    def active_province(self) -> Province:
        """The province scored with (an empty one when none is named)."""
        return self.provinces.get(self.province, Province())

    @property
    def changes_findings(self) -> bool:
        """Whether applying it can change a scored row (else scoring skips the adjustment)."""
        return bool(self.disable or self.severity or self.exceptions or self.thresholds or self.min_severity != "info")

    def severity_of(self, code: str, default: str) -> str:
        return self.severity.get(code, default)

    def reports(self, code: str, severity: str) -> bool:
        """Whether a finding with this code and (configured) severity is kept."""
        return code not in self.disable and SEVERITIES.index(severity) >= SEVERITIES.index(self.min_severity)

    def excepts(self, code: str, field: str, cells: Mapping[str, str]) -> bool:
        """Whether the row's name (三级指标, what a reviewer's exception is usually about: 完成率
        under 数量 is C1, whose finding quotes the 二级) or the cell a finding of ``code`` quotes
        (``field``: a value for M1) holds one of the code's exception words, compared in simplified
        characters as the analysis reads the cells."""
        words = self.exceptions.get(code)
        if not words:
            return False
        texts = [to_simplified(cells.get(name, "")) for name in {"level3", field}]
        return any(word in text for word in words for text in texts)

    def check_thresholds(self, model_own: Mapping[str, float]) -> None:
        """Refuse a threshold below the model's own: the scorer computes a family's findings only
        when the model flags it, so a lower threshold would flag rows with nothing to report."""
        for family, value in self.thresholds.items():
            if value < model_own[family]:
                raise ConfigError(f"{self.source or CONFIG_NAME}: thresholds.{family} = {value} is below the "
                                  f"model's own flag threshold {model_own[family]:.4f}: only raising is supported")


def model_thresholds(models_dir: Path | None = None) -> dict[str, float]:
    """The model's own flag thresholds, from its manifest (no model loaded): checked in the
    process that starts workers, so a bad threshold is one line there, not an error in each."""
    from nlp.artifacts import MANIFEST_FILE, ArtifactError, read_manifest
    from nlp.resources import models_path

    models_dir = models_dir or models_path()
    thresholds = read_manifest(models_dir).get("thresholds")
    for family in FAMILIES:  # a manifest of another version, or edited: a KeyError or TypeError later
        value = thresholds.get(family) if isinstance(thresholds, dict) else None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ArtifactError(f"{models_dir / MANIFEST_FILE}: no flag threshold of {family}; "
                                "run `iqc train` to rebuild the model")
    return thresholds


def find_config(explicit: Path | None = None, environ: Mapping[str, str] | None = None) -> Path | None:
    """``explicit``, else ``$IQC_CONFIG``, else ``./iqc.toml`` when it exists, else ``None``."""
    environ = os.environ if environ is None else environ
    if explicit is not None:
        return explicit
    if environ.get(CONFIG_ENV):
        return Path(environ[CONFIG_ENV])
    local = Path(CONFIG_NAME)
    return local if local.is_file() else None


def load_config(path: Path | str | None) -> Config:
    """The configuration in ``path`` (``Config()`` for ``None``); :class:`ConfigError` on any problem."""
    if path is None:
        return Config()
    try:
        data = tomllib.loads(_text(Path(path)))
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror or error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    return _parse(data, str(path))


def _text(path: Path) -> str:
    """The file as text. A byte-order mark (Notepad's "UTF-8") is not part of it; a file in GBK (a
    Chinese editor's default) is refused naming its first line that is not UTF-8, where tomllib
    would raise a UnicodeDecodeError."""
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[:error.start].count(b"\n") + 1
        raise ConfigError(f"{path}: line {line}: not UTF-8 text; save the file as UTF-8") from None


def _parse(data: dict[str, Any], source: str) -> Config:
    _known_keys(data, _TOP_KEYS, "", source)
    codes = _table(data, "codes", source)
    _known_keys(codes, _CODES_KEYS, "codes.", source)
    provinces = {name: _province(table, f"provinces.{name}", source)
                 for name, table in _table(data, "provinces", source).items()}
    province = _string(data.get("province", ""), "province", source)
    if province and province not in provinces:
        raise ConfigError(f"{source}: province = {province!r} has no [provinces.{province}] table")
    return Config(
        disable=frozenset(_code(code, "codes.disable", source) for code in _list(codes.get("disable", []), "codes.disable", source)),
        severity={_code(code, "codes.severity", source): _severity(value, f"codes.severity.{code}", source)
                  for code, value in _table(codes, "severity", source, "codes.").items()},
        min_severity=_severity(codes.get("min_severity", "info"), "codes.min_severity", source),
        exceptions={_row_code(code, "codes.exceptions", source): _words(words, f"codes.exceptions.{code}", source)
                    for code, words in _table(codes, "exceptions", source, "codes.").items()},
        thresholds={_family(name, source): _probability(value, f"thresholds.{name}", source)
                    for name, value in _table(data, "thresholds", source).items()},
        province=province, provinces=provinces, source=source)


def _province(table: object, key: str, source: str) -> Province:
    if not isinstance(table, dict):
        raise ConfigError(f"{source}: {key} must be a table")
    _known_keys(table, _PROVINCE_KEYS, key + ".", source)
    aliases = {_string(name, f"{key}.aliases", source): _alias_target(name, target, f"{key}.aliases.{name}", source)
               for name, target in _table(table, "aliases", source, key + ".").items()}
    required = tuple(_level2(name, f"{key}.required_dimensions", source)
                     for name in _list(table.get("required_dimensions", []), f"{key}.required_dimensions", source))
    return Province(aliases=aliases, required_dimensions=required)


def _known_keys(table: Mapping[str, Any], known: set[str], prefix: str, source: str) -> None:
    unknown = sorted(set(table) - known)
    if unknown:
        raise ConfigError(f"{source}: unknown key {prefix}{unknown[0]} (known: {', '.join(sorted(known))})")


def _table(data: Mapping[str, Any], key: str, source: str, prefix: str = "") -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{source}: {prefix}{key} must be a table")
    return value


def _list(value: object, key: str, source: str) -> list:
    if not isinstance(value, list):
        raise ConfigError(f"{source}: {key} must be a list")
    return value


def _string(value: object, key: str, source: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{source}: {key} must be a string, not {value!r}")
    return value


def _code(code: object, key: str, source: str) -> str:
    """A catalogue code; anything else (a list or table in the list too: TOML allows them, and they
    are not hashable) is an error naming it."""
    if not isinstance(code, str) or code not in catalogue():
        raise ConfigError(f"{source}: {key}: unknown code {code!r} (the codes are in data/codes.toml and GET /v1/codes)")
    return str(code)


def _row_code(code: object, key: str, source: str) -> str:
    """A code whose findings quote a row's cell: a table's (T1, T2) has no cell of its own to except."""
    code = _code(code, key, source)
    if catalogue()[code]["family"] == "table":
        raise ConfigError(f"{source}: {key}.{code}: a finding about a whole table quotes no cell of its own; "
                          f"use codes.disable to leave {code} out")
    return code


def _words(value: object, key: str, source: str) -> tuple[str, ...]:
    """Non-empty words, in simplified characters (an empty word would be in every cell)."""
    words = tuple(_string(word, key, source).strip() for word in _list(value, key, source))
    if not all(words):
        raise ConfigError(f"{source}: {key}: an empty word would except every cell")
    return tuple(to_simplified(word) for word in words)


def _severity(value: object, key: str, source: str) -> str:
    if value not in SEVERITIES:
        raise ConfigError(f"{source}: {key} = {value!r}: use one of {', '.join(SEVERITIES)}")
    return str(value)


def _family(name: str, source: str) -> str:
    if name not in FAMILIES:
        raise ConfigError(f"{source}: unknown key thresholds.{name} (known: {', '.join(FAMILIES)})")
    return name


def _probability(value: object, key: str, source: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ConfigError(f"{source}: {key} = {value!r}: a score threshold between 0 and 1")
    return float(value)


def _level2(name: object, key: str, source: str) -> str:
    """The canonical 二级 a name resolves to exactly (or by a known alias), else an error."""
    from nlp.categories import STRICT, canonical_level2

    category = canonical_level2(_string(name, key, source))
    if category.how not in STRICT:
        raise ConfigError(f"{source}: {key}: {name!r} is not a known 二级 category")
    return category.name


def _alias_target(name: str, target: object, key: str, source: str) -> str:
    """The canonical 二级 an alias names. A name that is itself a standard 二级 may not be filed
    under another: that would re-file every table's rows of that category without a word."""
    from nlp.categories import STRICT, canonical_level2

    category = _level2(target, key, source)
    own = canonical_level2(name)
    if own.how in STRICT and own.name != category:
        raise ConfigError(f"{source}: {key}: {name!r} is the 二级 {own.name} itself; an alias may not file it "
                          f"under {category}")
    return category


def to_toml(config: Config, model_own: Mapping[str, float] | None = None) -> str:
    """The effective configuration as TOML that :func:`load_config` reads back; thresholds not set
    show the model's own (``model_own``) as comments, so ``iqc config show`` says what scoring will do."""
    model_own = model_own or {}
    lines = [f"# effective configuration ({config.source or 'defaults: no iqc.toml'})"]
    if config.province:
        lines.append(f"province = {_value(config.province)}")
    lines += ["", "[codes]", f"disable = {_value(sorted(config.disable))}",
              f"min_severity = {_value(config.min_severity)}", "", "[codes.severity]"]
    lines += [f"{code} = {_value(severity)}" for code, severity in sorted(config.severity.items())]
    lines += ["", "[codes.exceptions]"]
    lines += [f"{code} = {_value(list(words))}" for code, words in sorted(config.exceptions.items())]
    lines += ["", "[thresholds]"] + [_threshold(family, config.thresholds, model_own) for family in FAMILIES
                                     if family in config.thresholds or family in model_own]
    for name, province in sorted(config.provinces.items()):
        lines += ["", f"[provinces.{_value(name)}]",
                  f"required_dimensions = {_value(list(province.required_dimensions))}",
                  f"aliases = {{ {', '.join(f'{_value(k)} = {_value(v)}' for k, v in province.aliases.items())} }}"]
    return "\n".join(lines) + "\n"


def _threshold(family: str, configured: Mapping[str, float], model: Mapping[str, float]) -> str:
    if family in configured:
        return f"{family} = {configured[family]}"
    return f"# {family} = {model[family]:.4f}  (the model's own)"


def _value(value: object) -> str:
    """A TOML string or list of strings (JSON's escaping is valid TOML for these)."""
    return json.dumps(value, ensure_ascii=False)
