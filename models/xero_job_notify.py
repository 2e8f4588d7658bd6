import logging

from markupsafe import Markup

from odoo import fields, models

_logger = logging.getLogger(__name__)

# How many failed jobs or held-back documents an activity lists (the rest is counted).
LISTED = 10


def _lines(lines):
    return Markup("<br/>").join(lines)


class XeroJob(models.Model):
    """After each run: what failed for good, what Xero's lock dates or mappings held back,
    and a low day budget are told to the Xero Managers (see xero_connection.py)."""

    _inherit = "xero.job"

    kind = fields.Selection(
        selection_add=[("accounting_followup", "Notes, PDFs and online links of sent documents")],
        ondelete={"accounting_followup": "cascade"},
    )

    def _fail(self, exc, token=None, unexpected=False):
        result = super()._fail(exc, token=token, unexpected=unexpected)
        job = self.browse(self.id)
        if job.state == "failed":
            job._telling(job._tell_failed)
        return result

    def _run(self):
        time_left = super()._run()
        job = self.browse(self.id)
        if job.state == "done":
            job._telling(job._tell_after_run)
        return time_left

    def _telling(self, tell):
        """Tell, in a commit of its own: telling never stops the runner nor undoes the job's work."""
        try:
            tell()
            self.env.cr.commit()  # pylint: disable=invalid-commit
        except Exception:
            _logger.exception("Xero job %s: telling the managers failed", self.id)
            self.env.cr.rollback()

    def _tell_failed(self):
        self.ensure_one()
        conn = self.connection_id
        failed = self.sudo().search([("connection_id", "=", conn.id), ("state", "=", "failed")], order="id")
        summary = self.env._("%s Xero job(s) failed", len(failed))
        note = _lines(
            [self.env._("Retry them from Xero > Jobs once the cause is fixed; a job that failed again is listed once.")]
            + [Markup("<b>%s</b>: %s") % (job.name, job.error or "") for job in failed[:LISTED]]
        )
        conn._tell_managers("job_failed", summary, note, starter=self.create_uid)

    def _tell_after_run(self):
        """A job finished: problems it settled are closed, the ones it left are told."""
        self.ensure_one()
        conn = self.connection_id
        if not self.sudo().search_count([("connection_id", "=", conn.id), ("state", "=", "failed")], limit=1):
            conn._problem_settled("job_failed")
        if self.kind == "accounting_push":
            self._tell_held_back()
        if (
            self.env["xero.document"]
            .sudo()
            .search_count([("connection_id", "=", conn.id), ("followup_pending", "=", True)], limit=1)
        ):
            # Planned while a follow-up job was finishing (it saw none left): queue another.
            conn._enqueue_followups()
        conn._tell_low_budget(starter=self.create_uid)

    def _tell_held_back(self):
        conn = self.connection_id
        domain = [("connection_id", "=", conn.id), ("state", "in", ("blocked", "error"))]
        docs = self.env["xero.document"].sudo().search(domain, order="date, id")
        payments = self.env["xero.payment"].sudo().search(domain, order="date, id")
        count = len(docs) + len(payments)
        if not count:
            conn._problem_settled("held_back")
            return
        summary = self.env._("%s document(s) or payment(s) held back or refused by Xero", count)
        listed = [Markup("<b>%s</b>: %s") % (d.name, d.error or "") for d in docs[:LISTED]]
        listed += [Markup("<b>%s</b>: %s") % (p.display_name, p.error or "") for p in payments[: LISTED - len(listed)]]
        if count > len(listed):
            listed.append(self.env._("... and %s more (Xero > Documents sent).", count - len(listed)))
        conn._tell_managers("held_back", summary, _lines(listed), starter=self.create_uid)
