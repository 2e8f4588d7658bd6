# Put before the bench_*_odoo.py scripts that talk to the sandbox themselves, as
# someone using Xero would (not through the addon): `SANDBOX_HEADERS` for its API.
import requests

_token = requests.post(
    f"{SANDBOX_URL}/connect/token",
    data={"grant_type": "client_credentials"},
    auth=("sandbox-client-id", "sandbox-client-secret"),
    timeout=10,
).json()["access_token"]
_tenant = requests.get(f"{SANDBOX_URL}/connections", headers={"Authorization": f"Bearer {_token}"}, timeout=10)
SANDBOX_HEADERS = {
    "Authorization": f"Bearer {_token}",
    "xero-tenant-id": _tenant.json()[0]["tenantId"],
    "Accept": "application/json",
}
