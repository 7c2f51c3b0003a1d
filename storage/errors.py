"""The storage layer's exceptions."""


class StorageError(Exception):
    """Storage could not do what was asked; the caller decides how to answer."""


class NotFound(StorageError):
    """No such row for this account (also when it exists for another account)."""


class Conflict(StorageError):
    """The row would break a uniqueness rule (an e-mail already in use, say)."""


class Ambiguous(StorageError):
    """A name matches several rows; the message says how to name one."""


class ClaimLost(StorageError):
    """The worker's claim on a row has passed to another (its lease ran out while it worked):
    what it found is dropped, the new holder's result stands."""
