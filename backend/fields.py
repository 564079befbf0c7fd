"""Field types and validators shared by several domains' schemas."""


def normalise_identifier(value: object) -> object:
    """Login names and client ids are case-insensitive: one spelling, lower-case, no outer spaces."""
    return value.strip().lower() if isinstance(value, str) else value
