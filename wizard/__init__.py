from . import xero_accounting_preview, xero_accounting_preview_line, xero_contact_link
