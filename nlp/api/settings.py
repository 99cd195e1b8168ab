"""Limits and the optional API key of the HTTP API.

Defaults live in ``data/api.toml`` so an operator can read them next to the other tunables;
environment variables override them because that is how a container or ``iqc serve --workers N``
(which re-creates the app in each worker process) is configured.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from nlp.config import CONFIG_ENV, Config, load_config
from nlp.resources import load_toml

#: Setting name -> environment variable that overrides its ``data/api.toml`` default.
ENV_VARS: dict[str, str] = {
    "max_rows": "IQC_MAX_ROWS",
    "max_body_bytes": "IQC_MAX_BODY_BYTES",
    "max_cell_chars": "IQC_MAX_CELL_CHARS",
    "request_helpers": "IQC_REQUEST_HELPERS",
}
#: The least value of a setting where it is not 1 (no helper processes at all is a choice).
MINIMUMS: dict[str, int] = {"request_helpers": 0}
API_KEY_ENV = "IQC_API_KEY"
HELPERS_ENV = ENV_VARS["request_helpers"]


@dataclass(frozen=True, slots=True)
class ApiSettings:
    """Per-request limits and the shared secret.

    ``api_key`` is ``None`` when the API is open; when set, every endpoint except
    ``/v1/health`` requires header ``X-API-Key`` with this value. ``config`` is the ``iqc.toml``
    named by ``IQC_CONFIG`` (the server never picks up a stray ``./iqc.toml`` from where it was
    started), applied to every result. ``request_helpers``: helper processes sharing a large
    request and scoring micro-batches' never-seen rows (:mod:`nlp.helper_pool`); settings built in code have none unless asked, the
    server's come from ``data/api.toml``.
    """

    max_rows: int
    max_body_bytes: int
    max_cell_chars: int
    request_helpers: int = 0
    api_key: str | None = None
    config: Config = field(default_factory=Config)

    def __post_init__(self) -> None:
        for name in ENV_VARS:
            value, least = getattr(self, name), MINIMUMS.get(name, 1)
            if isinstance(value, bool) or not isinstance(value, int) or value < least:
                raise ValueError(f"ApiSettings.{name} must be a whole number of at least {least}, got {value!r}")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "ApiSettings":
        """``data/api.toml`` defaults, overridden by ``IQC_*`` environment variables."""
        environ = os.environ if environ is None else environ
        values: dict[str, int] = dict(load_toml("api.toml"))
        for name, var in ENV_VARS.items():
            if environ.get(var, "").strip():
                values[name] = _whole_number(var, environ[var], MINIMUMS.get(name, 1))
        config = load_config(Path(environ[CONFIG_ENV])) if environ.get(CONFIG_ENV) else Config()
        return cls(**values, api_key=environ.get(API_KEY_ENV) or None, config=config)


def _whole_number(var: str, text: str, least: int) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        value = None
    if value is None or value < least:
        raise ValueError(f"{var} must be a whole number of at least {least}, got {text!r}")
    return value
