"""Who may do what: roles and scopes, passwords, tokens, the principal and its unit scope.

Used by every domain; uses none of them.
"""
