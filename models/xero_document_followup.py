from odoo import fields, models

from ..xero_connector import accounting
from ..xero_connector.errors import XeroAuthError, XeroNotFoundError, XeroRequestError, XeroValidationError

# Documents a step of the follow-up job handles (a few calls each).
FOLLOWUP_BATCH = 10
# Xero's states in which an invoice has an online link.
ONLINE_STATUSES = ("AUTHORISED", "PAID")


class XeroDocument(models.Model):
    """What follows a document's send, update or void: a History note in Xero, the invoice
    PDF attached, its online link read back.

    Planned when the send is recorded (the same transaction: see `write`), as a
    list of numbered steps on the binding, then done by the `accounting_followup`
    job, each call with an idempotency key made of the binding and the step's
    number: a retried step never adds a second note or file. The sending code
    itself is not touched: the binding's change of state is the signal.
    """

    _inherit = "xero.document"

    followups = fields.Json(readonly=True, copy=False, help="Still to tell Xero: history notes, the PDF, the link.")
    followup_seq = fields.Integer(readonly=True, copy=False)
    followup_pending = fields.Boolean(readonly=True, copy=False, index=True)
    followup_error = fields.Text(string="Follow-up problem", readonly=True)
    online_url = fields.Char(string="Online invoice", readonly=True, help="Where the customer sees it in Xero.")

    def write(self, vals):
        events = self._followup_events(vals) if "state" in vals else {}
        result = super().write(vals)
        if events:
            self._plan_followups(events)
        return result

    def _followup_events(self, vals):
        """{binding id: "sent", "updated" or "voided"} for the bindings this write records as such."""
        events = {}
        for doc in self:
            if vals["state"] == "voided" and doc.state != "voided":
                events[doc.id] = "voided"
            elif vals["state"] == "sent" and "signature" in vals:  # what Xero answered to a send
                events[doc.id] = "updated" if doc.xero_id else "sent"
        return events

    def _plan_followups(self, events):
        """Number and store the steps that follow these events, and queue the job doing them."""
        by_connection = {}
        for doc in self.browse(list(events)):
            conn = doc.connection_id.sudo()
            event = events[doc.id]
            steps = [{"do": "note", "text": doc._history_note(event)}]
            invoice = doc.kind == accounting.INVOICE
            if event == "sent" and invoice and conn.attach_pdf:
                steps.append({"do": "pdf"})
            if event != "voided" and invoice and conn.show_online_invoice and not doc.online_url:
                steps.append({"do": "online_link"})
            planned = list(doc.followups or [])
            for number, step in enumerate(steps, start=doc.followup_seq + 1):
                planned.append(dict(step, n=number))
            doc.sudo().write(
                {"followups": planned, "followup_seq": doc.followup_seq + len(steps), "followup_pending": True}
            )
            by_connection[conn.id] = conn
        for conn in by_connection.values():
            conn._enqueue_followups()

    def _history_note(self, event):
        """The note Xero's History shows (at most 250 characters)."""
        self.ensure_one()
        conn = self.connection_id.sudo()
        name = self.move_id.name
        if event == "voided":
            return self.env._("Voided from Odoo: %s was cancelled there.", name)
        if event == "updated":
            text = self.env._("Updated from Odoo: %s was changed there.", name)
        else:
            text = self.env._("Sent from Odoo as %s.", name)
        shifted = conn._shifted_date(self.move_id.invoice_date)
        if shifted:
            text += " " + self.env._(
                "Dated %(odoo)s in Odoo; Xero's lock date is %(lock)s, so it is dated %(xero)s here.",
                odoo=self.move_id.invoice_date.isoformat(),
                lock=conn.lock_date.isoformat(),
                xero=shifted.isoformat(),
            )
        return text

    # -- the job -----------------------------------------------------------------------

    def _xero_job_accounting_followup(self, job):
        connection = job.connection_id.sudo()
        domain = [("connection_id", "=", connection.id), ("followup_pending", "=", True)]
        docs = self.sudo().search(domain, order="id", limit=FOLLOWUP_BATCH)
        if not docs:
            return True
        gateway = connection._gateway()
        for doc in docs:
            doc._send_followups(gateway)
        job.progress_done += len(docs)
        job.progress_total = job.progress_done + self.sudo().search_count(domain)
        return False

    def _send_followups(self, gateway):
        """Do this binding's planned steps in order; a refused one is noted, not retried."""
        self.ensure_one()
        problems = []
        for step in self.followups or []:
            operation = f"accounting-followup:{self.id}:{step['n']}"
            try:
                if not self.xero_id:
                    break
                if step["do"] == "note":
                    gateway.add_history_note(self.kind, self.xero_id, step["text"], operation=operation)
                elif step["do"] == "pdf":
                    content, file_name = self.move_id._xero_pdf()
                    gateway.attach_to_invoice(
                        self.xero_id,
                        file_name,
                        content,
                        operation=operation,
                        include_online=self.connection_id.attach_pdf_online,
                    )
                elif step["do"] == "online_link" and (self.xero_status or "AUTHORISED") in ONLINE_STATUSES:
                    self.online_url = gateway.get_online_invoice_url(self.xero_id) or False
            except XeroNotFoundError:
                continue  # deleted in Xero meanwhile: nothing to add to
            except (XeroValidationError, XeroRequestError) as exc:
                problems.append(str(exc))
            except XeroAuthError as exc:
                if exc.reconnect_needed or exc.status != 403:
                    raise
                # Xero's permission for this one call is missing (attachments need their own).
                problems.append(
                    self.env._(
                        "Xero refused the PDF: the connection lacks Xero's permission for attachments. "
                        "Reconnect to Xero (Settings > Xero) to grant it."
                    )
                    if step["do"] == "pdf"
                    else str(exc)
                )
        self.sudo().write(
            {"followups": False, "followup_pending": False, "followup_error": "\n".join(problems) or False}
        )
