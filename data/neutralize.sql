-- A copied database must never sync against the production organisation.
DELETE FROM xero_token;
UPDATE xero_connection SET client_secret = NULL, enabled = false, state = 'disconnected';
UPDATE xero_job SET state = 'cancelled' WHERE state IN ('pending', 'running', 'failed');
-- Nor send it invoices should a copy be connected again: sending is switched on by hand.
UPDATE xero_connection SET accounting_active = false;
