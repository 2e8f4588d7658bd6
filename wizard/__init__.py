from . import xero_contact_link
