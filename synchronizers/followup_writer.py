from ..xero_connector.errors import XeroAuthError, XeroNotFoundError, XeroRequestError, XeroValidationError
from .base import Synchronizer

# Documents a step of the follow-up job handles (a few calls each).
FOLLOWUP_BATCH = 10
# Xero's states in which an invoice has an online link.
ONLINE_STATUSES = ("AUTHORISED", "PAID")


class FollowupWriter(Synchronizer):
    """What follows a document's send, update or void, told to Xero: a History note, the
    invoice PDF attached, its online link read back.

    The steps are planned on the binding when the send is recorded (see
    `xero.document.write`); the `accounting_followup` job does them, each call
    with an idempotency key made of the binding and the step's number: a
    retried step never adds a second note or file.
    """

    def step(self, job):
        """One step of the `accounting_followup` job: a few documents' steps; True when none is left."""
        connection = self.connection.sudo()
        domain = [("connection_id", "=", connection.id), ("followup_pending", "=", True)]
        Document = self.env["xero.document"].sudo()
        docs = Document.search(domain, order="id", limit=FOLLOWUP_BATCH)
        if not docs:
            return True
        gateway = connection._gateway()
        for doc in docs:
            self.send(doc, gateway)
        job.progress_done += len(docs)
        job.progress_total = job.progress_done + Document.search_count(domain)
        return False

    def send(self, doc, gateway):
        """Do this binding's planned steps in order; a refused one is noted, not retried."""
        doc.ensure_one()
        problems = []
        for step in doc.followups or []:
            operation = f"accounting-followup:{doc.id}:{step['n']}"
            try:
                if not doc.xero_id:
                    break
                if step["do"] == "note":
                    gateway.add_history_note(doc.kind, doc.xero_id, step["text"], operation=operation)
                elif step["do"] == "pdf":
                    content, file_name = doc.move_id._xero_pdf()
                    gateway.attach_to_invoice(
                        doc.xero_id,
                        file_name,
                        content,
                        operation=operation,
                        include_online=doc.connection_id.attach_pdf_online,
                    )
                elif step["do"] == "online_link" and (doc.xero_status or "AUTHORISED") in ONLINE_STATUSES:
                    doc.online_url = gateway.get_online_invoice_url(doc.xero_id) or False
            except XeroNotFoundError:
                continue  # deleted in Xero meanwhile: nothing to add to
            except (XeroValidationError, XeroRequestError) as exc:
                problems.append(str(exc))
            except XeroAuthError as exc:
                if exc.reconnect_needed or exc.status != 403:
                    raise
                # Xero's permission for this one call is missing (attachments need their own).
                problems.append(
                    doc.env._(
                        "Xero refused the PDF: the connection lacks Xero's permission for attachments. "
                        "Reconnect to Xero (Settings > Xero) to grant it."
                    )
                    if step["do"] == "pdf"
                    else str(exc)
                )
        doc.sudo().write(
            {"followups": False, "followup_pending": False, "followup_error": "\n".join(problems) or False}
        )


# The job kinds this module runs: kind -> (synchronizer class, name of its step method).
JOBS = {"accounting_followup": (FollowupWriter, "step")}
# The outbox kinds whose answers this module records: kind -> synchronizer class.
WRITERS = {}
