"""Who is calling and what they may see: users with argon2 password hashes (pwdlib), opaque
bearer tokens stored only as hashes, five roles, and scope checks every route calls on the
server (central/auth/scope.py). Nothing here trusts the client to filter.

``users`` (accounts, login, password change), ``tokens`` (expiry, idle timeout, revocation),
``throttle`` (failed sign-ins per username and per address), ``passwords`` (the rule per
role), ``accounts`` (who manages which accounts), ``deps`` (the FastAPI dependencies).
"""
