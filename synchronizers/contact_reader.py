from .base import Synchronizer  # noqa: F401

# The job kinds this module runs: kind -> (synchronizer class, name of its step method).
JOBS = {}
# The outbox kinds whose answers this module records: kind -> synchronizer class.
WRITERS = {}
