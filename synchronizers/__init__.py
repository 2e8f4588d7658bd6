"""The synchronizers: the work of reading from Xero and writing to it, one small class
per entity and direction. Bindings (models/) hold fields, states and user actions and
call them; jobs run their steps; writes go through the outbox (models/xero_outbox.py),
list reads through the paged reader (xero_connector/reading.py)."""

from . import (
    contact_reader,
    contact_writer,
    document_writer,
    followup_writer,
    ledger_reader,
    payment_reader,
    payment_writer,
    reference_reader,
)

_MODULES = (
    contact_reader,
    contact_writer,
    document_writer,
    followup_writer,
    payment_writer,
    payment_reader,
    ledger_reader,
    reference_reader,
)
# job kind -> (class, step method); outbox kind -> class recording its answers.
JOBS = {kind: entry for module in _MODULES for kind, entry in module.JOBS.items()}
WRITERS = {kind: cls for module in _MODULES for kind, cls in module.WRITERS.items()}


def job_step(job):
    """The step of this job's kind, `step(job) -> finished`, on its organisation's synchronizer."""
    cls, method = JOBS[job.kind]
    return getattr(cls(job.connection_id), method)


def writer(batch):
    """The writer that records this outbox batch's answers (and reads back what Xero holds)."""
    return WRITERS[batch.kind](batch.connection_id.sudo())
