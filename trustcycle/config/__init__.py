"""A trust's configuration: YAML files under `config/`, parsed and validated file by file.

`trustcycle.trust.load_config` loads a whole trust (these files, then the cross-file checks).
"""

from trustcycle.config.errors import ConfigError, Problem
from trustcycle.config.loader import TrustConfig, parse_config

__all__ = ["ConfigError", "Problem", "TrustConfig", "parse_config"]
