"""A trust's configuration: YAML files under `config/`, validated when loaded."""

from trustcycle.config.errors import ConfigError, Problem
from trustcycle.config.loader import TrustConfig, load_config

__all__ = ["ConfigError", "Problem", "TrustConfig", "load_config"]
