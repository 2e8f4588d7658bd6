"""Pure-Python engine of the Xero connector (never imports odoo)."""
