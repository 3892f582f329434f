"""What the server's operator configures: the datasets and rules files users choose from,
and the upload limits.  Nothing a user types is ever used as a server path.

* The embedded demo dataset and the default rules are always offered; env ``LCGIS_DATA_DIR``
  and ``LCGIS_RULES`` add one dataset / rules file (offered first, chosen at start).
* The app config file (env ``LCGIS_APP_CONFIG``, else ``lcgis-app.toml`` beside ``app.py``
  when it exists) adds more, and sets the upload limits::

      [datasets]                      # label = folder (relative: to this file's folder)
      "2025 年园区数据" = "园区数据/2025"
      [rules]                         # label = rules file
      "2026 修订规则" = "规则/2026.toml"
      [uploads]
      session_quota_mb = 200          # all uploads of one browser session together
      keep_hours = 24                 # deleted when the session ends, at the latest after this

* One uploaded file is capped by Streamlit's ``server.maxUploadSize`` (MB; 50 in
  ``.streamlit/config.toml``), which the server enforces before it accepts the upload.

A config file that cannot be used is reported in the log and, to admins, in the sidebar; the
defaults apply meanwhile.
"""

from __future__ import annotations

import logging
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st

log = logging.getLogger("lcgis.app")

REPO = Path(__file__).resolve().parents[1]
DEMO_DIR = REPO / "data"
CONFIG_ENV = "LCGIS_APP_CONFIG"
CONFIG_FILE = REPO / "lcgis-app.toml"
DEMO_LABEL = "内置示意数据"
DEFAULT_RULES_LABEL = "默认规则"
DEFAULT_QUOTA_MB = 200.0
DEFAULT_KEEP_HOURS = 24.0
MAX_CONFIG_BYTES = 256 * 1024


@dataclass(frozen=True)
class Choice:
    """One entry of a configured list: what the user sees and the server path behind it."""

    label: str
    path: str


@dataclass(frozen=True)
class Settings:
    datasets: tuple[Choice, ...]
    rules: tuple[Choice, ...]  # the first is the default rules (path "")
    session_quota_mb: float = DEFAULT_QUOTA_MB
    keep_hours: float = DEFAULT_KEEP_HOURS
    error: str = ""  # why the config file was not used ('' when it was, or there is none)

    @property
    def session_quota_bytes(self) -> int:
        return int(self.session_quota_mb * 1024 * 1024)

    def dataset(self, folder: str) -> Choice | None:
        """The configured dataset at ``folder`` (compared resolved), if any."""
        return _find(self.datasets, folder)

    def rules_file(self, path: str) -> Choice | None:
        """The configured rules file at ``path`` ('' = the default rules), if any."""
        if not path:
            return self.rules[0]
        return _find(self.rules[1:], path)


def _resolved(path: str) -> str:
    try:
        return str(Path(path).resolve())
    except OSError:
        return path


def _find(choices: tuple[Choice, ...], path: str) -> Choice | None:
    want = _resolved(path)
    return next((c for c in choices if _resolved(c.path) == want), None)


def _unique(choices: list[Choice]) -> tuple[Choice, ...]:
    """First entry per path; a repeated label gets its number."""
    out: list[Choice] = []
    seen_paths: set[str] = set()
    labels: set[str] = set()
    for c in choices:
        key = _resolved(c.path) if c.path else ""
        if key in seen_paths:
            continue
        seen_paths.add(key)
        label, n = c.label, 2
        while label in labels:
            label, n = f"{c.label}({n})", n + 1
        labels.add(label)
        out.append(Choice(label, c.path))
    return tuple(out)


def _table(data: dict[str, Any], name: str, base: Path) -> list[Choice]:
    table = data.get(name, {})
    if not isinstance(table, dict):
        raise ValueError(f"[{name}] 应为表(名称 = 路径)")
    out = []
    for label, value in table.items():
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"[{name}] 中“{label}”的路径应为非空文本")
        p = Path(value.strip())
        out.append(Choice(str(label), str(p if p.is_absolute() else base / p)))
    return out


def _number(data: dict[str, Any], key: str, default: float) -> float:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ValueError(f"[uploads] {key} 应为正数，实际为 {value!r}")
    return float(value)


def load_settings(config: Path | None, environ: dict[str, str] | None = None) -> Settings:
    """The settings from the environment and the config file ``config`` (None: none)."""
    env = dict(os.environ if environ is None else environ)
    datasets = [Choice(DEMO_LABEL, str(DEMO_DIR))]
    rules = [Choice(DEFAULT_RULES_LABEL, "")]
    if env.get("LCGIS_DATA_DIR"):
        folder = Path(env["LCGIS_DATA_DIR"])
        if _resolved(str(folder)) != _resolved(str(DEMO_DIR)):
            datasets.insert(0, Choice(folder.name or str(folder), str(folder)))
    if env.get("LCGIS_RULES"):
        file = Path(env["LCGIS_RULES"])
        rules.insert(1, Choice(file.stem or str(file), str(file)))
    quota, keep, error = DEFAULT_QUOTA_MB, DEFAULT_KEEP_HOURS, ""
    if config is not None:
        try:
            if not config.is_file() or config.stat().st_size > MAX_CONFIG_BYTES:
                raise ValueError("不是普通文件，或超过 256 KB")
            data = tomllib.loads(config.read_text(encoding="utf-8-sig"))
            datasets += _table(data, "datasets", config.parent)
            rules += _table(data, "rules", config.parent)
            up = data.get("uploads", {})
            if not isinstance(up, dict):
                raise ValueError("[uploads] 应为表")
            quota = _number(up, "session_quota_mb", DEFAULT_QUOTA_MB)
            keep = _number(up, "keep_hours", DEFAULT_KEEP_HOURS)
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, ValueError) as exc:
            log.error("app config %s not used: %s", config, exc)
            error = f"应用配置文件 {config.name} 有误，已改用默认设置：{exc}"
    return Settings(_unique(datasets), _unique(rules), quota, keep, error)


def config_path() -> Path | None:
    """The app config file: env ``LCGIS_APP_CONFIG``, else ``lcgis-app.toml`` if present."""
    env = os.environ.get(CONFIG_ENV)
    if env:
        return Path(env)
    return CONFIG_FILE if CONFIG_FILE.exists() else None


@st.cache_resource(show_spinner=False, max_entries=4)
def _cached(config: str, stamp: str, data_env: str, rules_env: str) -> Settings:  # noqa: ARG001
    return load_settings(Path(config) if config else None)


def current() -> Settings:
    """The settings now (re-read when the config file or the env variables change)."""
    path = config_path()
    stamp = ""
    if path is not None:
        try:
            s = path.stat()
            stamp = f"{s.st_size}|{s.st_mtime_ns}"
        except OSError:
            stamp = "missing"
    return _cached(
        str(path or ""),
        stamp,
        os.environ.get("LCGIS_DATA_DIR", ""),
        os.environ.get("LCGIS_RULES", ""),
    )


def max_upload_mb() -> int:
    """The size limit of one uploaded file in MB (Streamlit's ``server.maxUploadSize``)."""
    try:
        return max(1, int(st.get_option("server.maxUploadSize")))
    except (TypeError, ValueError):
        return 50
