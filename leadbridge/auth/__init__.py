"""Who is signed in: console passwords, sessions, API keys and sign-in throttling.

What each role may do is decided in `leadbridge.domain.access`; this package only says who
the caller is.
"""

from leadbridge.auth.service import AuthService, Principal, SessionGrant

__all__ = ["AuthService", "Principal", "SessionGrant"]
