"""The optimizer's input error, in a module of its own so that instance.py and calendar.py can both raise it."""


class InstanceError(ValueError):
    """A tour instance that cannot be planned as written; the message names what is wrong."""
