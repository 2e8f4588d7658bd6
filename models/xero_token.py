from odoo import fields, models


class XeroToken(models.Model):
    """The OAuth tokens of one connection, readable by administrators only.

    Kept apart from `xero.connection` on purpose: a refresh rewrites this row
    in a transaction of its own, and no other table references it, so the
    refresh never collides with work (jobs, bindings) that points to the
    connection.
    """

    _name = "xero.token"
    _description = "Xero OAuth tokens"

    connection_id = fields.Many2one("xero.connection", required=True, ondelete="cascade", index=True)
    access_token = fields.Char(copy=False)
    refresh_token = fields.Char(copy=False)
    expires_at = fields.Float(help="When the access token expires (seconds since the epoch).")

    _connection_uniq = models.Constraint("UNIQUE(connection_id)", "One set of tokens per connection.")
