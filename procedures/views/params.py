"""Numbers read from a query string, bounded to what a database column holds: a huge number
typed into `?category=` must find nothing, not overflow PostgreSQL's integer."""

INTEGER_MAX = 2**31 - 1


def int_param(value: str | None, *, default: int, invalid: int | None = None) -> int:
    """`value` as a whole number between 0 and INTEGER_MAX; `default` when it is empty and
    `invalid` (by default `default` too) when it is anything else."""
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        number = -1
    if 0 <= number <= INTEGER_MAX:
        return number
    return default if invalid is None else invalid
