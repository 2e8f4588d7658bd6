# The states of a document binding whose document Xero holds.
SENT_STATES = ("sent", "linked", "to_update")


class Synchronizer:
    """The work of one entity in one direction, for one organisation.

    Built on a connection (`xero.connection` record): its environment is the
    caller's (a job's company and rights, or a binding's action after its own
    access check). A plain class, not a model: none of its methods can be called
    over RPC, so checks stay in the bindings' actions.
    """

    def __init__(self, connection):
        self.connection = connection
        self.env = connection.env
