import logging

from markupsafe import escape

from odoo import http
from odoo.http import request

from ..xero_connector import webhooks
from ..xero_connector.errors import XeroError

_logger = logging.getLogger(__name__)


class XeroController(http.Controller):
    @http.route("/xero/oauth/callback", type="http", auth="user", methods=["GET"])
    def oauth_callback(self, code=None, state=None, error=None, **kwargs):
        """Where Xero sends the administrator back after the consent page."""
        # First of all: whoever else lands here learns nothing and leaves nothing in the logs.
        if not request.env.user.has_group("xero_connector.group_xero_manager"):
            return self._error_page("Only a Xero Manager can connect the company to Xero.", log=False)
        if error:
            return self._error_page(f"Xero did not grant access: {error[:200]}.")
        if not code or not state:
            return self._error_page("The answer from Xero is incomplete: nothing was stored.")
        try:
            request.env["xero.connection"]._oauth_callback(code, state, request.session)
        except XeroError as exc:
            request.env.cr.rollback()
            return self._error_page(str(exc))
        return request.redirect("/odoo/action-xero_connector.xero_settings_action")

    @http.route(
        "/xero/webhooks",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
        max_content_length=webhooks.MAX_BODY,
    )
    def webhooks(self, **kwargs):
        """Xero's change notifications: 200 only to a correctly signed delivery.

        The work is only queued here (a contacts read per organisation), so
        the answer leaves well within Xero's 5 seconds.
        """
        raw = self._read_body(webhooks.MAX_BODY)
        if raw is None:
            return request.make_response("", status=413)
        received = request.httprequest.headers.get("x-xero-signature")
        # Xero posts without a session: the check is the signature. The sudo() only reads the
        # keys to verify it with; nothing is done for a delivery no key signed.
        connections = request.env["xero.connection"].sudo().search([("webhook_key", "!=", False)])
        # Several companies may share one Xero app (one key): each gets the events of its own organisation.
        signers = connections.filtered(lambda c: webhooks.is_signed_by(c.webhook_key, raw, received))
        if not signers:
            return request.make_response("", status=401)
        signers._webhook_receive(webhooks.events(raw))
        return request.make_response("", status=200)

    @staticmethod
    def _read_body(limit):
        """The raw body, or None when it is over `limit` bytes; never reads more than `limit` + 1."""
        httprequest = request.httprequest
        length = httprequest.content_length
        if length is not None:
            # werkzeug reads no further than Content-Length.
            return httprequest.get_data() if length <= limit else None
        # A chunked body has no length to check: read it in bounded. Odoo's wrapper
        # does not expose the WSGI stream, werkzeug's request behind it does.
        stream = httprequest._HTTPRequest__wrapped.stream
        raw = stream.read(limit + 1)
        return raw if len(raw) <= limit else None

    def _error_page(self, message, log=True):
        if log:
            _logger.info("Xero connection refused: %r", message)
        body = (
            "<html><body style='font-family:sans-serif;margin:3em'>"
            f"<h2>Connecting to Xero failed</h2><p>{escape(message)}</p>"
            "<p><a href='/odoo/action-xero_connector.xero_settings_action'>Back to Settings &gt; Xero</a></p>"
            "</body></html>"
        )
        return request.make_response(body, headers=[("Content-Type", "text/html; charset=utf-8")], status=400)
