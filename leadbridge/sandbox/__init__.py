"""The sandbox org: a local HTTPS server that behaves like a Salesforce org.

Self-contained: imports nothing from the rest of leadbridge (an import-linter contract checks it).
"""

from .backend import SandboxBackend, SandboxConfig
from .server import RunningSandbox, SandboxServer, serve

__all__ = ["RunningSandbox", "SandboxBackend", "SandboxConfig", "SandboxServer", "serve"]
