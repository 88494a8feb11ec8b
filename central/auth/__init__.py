"""Who is calling and what they may see: users with argon2 password hashes (pwdlib), opaque
bearer tokens stored only as hashes, five roles, and scope checks every route calls on the
server (central/auth/scope.py). Nothing here trusts the client to filter.
"""
