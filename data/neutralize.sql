-- A copied database must never sync against the production organisation.
DELETE FROM xero_token;
UPDATE xero_connection SET client_secret = NULL, enabled = false, state = 'disconnected';
UPDATE xero_job SET state = 'cancelled' WHERE state IN ('pending', 'running', 'failed');
-- Nor send it invoices should a copy be connected again: sending is switched on by hand.
UPDATE xero_connection SET accounting_active = false;
-- Nor take Xero's deliveries, push contacts or overwrite Xero's edits until someone decides so.
UPDATE xero_connection SET webhook_key = NULL, push_started = false, odoo_is_master = false;
-- What was about to be sent, updated, voided or deleted waits for a deliberate "Send again".
-- (A document's error is a translated field: its English text.)
UPDATE xero_document
   SET state = 'blocked',
       error = jsonb_build_object('en_US', 'Held back: this database is a neutralized copy. Send it again only if this copy may write to the Xero organisation.')
 WHERE state IN ('to_send', 'to_update', 'to_void');
UPDATE xero_payment
   SET state = 'blocked',
       error = 'Held back: this database is a neutralized copy. Send it again only if this copy may write to the Xero organisation.'
 WHERE state IN ('to_send', 'to_delete');
