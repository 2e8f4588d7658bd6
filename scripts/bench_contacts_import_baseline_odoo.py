# Run inside `odoo shell` on a database WITHOUT the addon by scripts/bench.py (SANDBOX_URL,
# N set): Odoo's own batched res.partner.create of the same companies and main
# contacts the import makes, read from the same sandbox: the import's baseline.
import sys
import time

import requests

sys.path.insert(0, REPO)
from xero_connector import fieldmap  # the repository's engine (no Odoo import)

headers = SANDBOX_HEADERS  # from bench_sandbox_api.py
contacts, page = [], 1
while True:
    batch = requests.get(
        f"{SANDBOX_URL}/api.xro/2.0/Contacts", params={"page": page, "pageSize": 1000}, headers=headers, timeout=60
    ).json()["Contacts"]
    contacts += batch
    if len(batch) < 1000:
        break
    page += 1
countries = {c.name: c.id for c in env["res.country"].with_context(lang="en_US").search([])}
rows = []
for contact in contacts:
    values, _problems = fieldmap.clean_for_odoo(fieldmap.from_xero(contact))
    rows.append(
        (
            {
                "name": values.get("name"),
                "is_company": True,
                "email": values.get("email") or False,
                "phone": values.get("phone") or False,
                "street": values.get("street") or False,
                "street2": values.get("street2") or False,
                "city": values.get("city") or False,
                "zip": values.get("zip") or False,
                "country_id": countries.get(values.get("country")) or False,
                "vat": values.get("vat") or False,
            },
            " ".join(filter(None, (values.get("first_name"), values.get("last_name")))),
            values.get("email") or False,
        )
    )
queries = env.cr.sql_log_count
started, cpu = time.perf_counter(), time.process_time()
Partner = env["res.partner"]
for start in range(0, len(rows), 100):
    chunk = rows[start : start + 100]
    companies = Partner.create([company for company, _main, _email in chunk])
    Partner.create(
        [
            {"parent_id": company.id, "type": "contact", "name": main, "email": email}
            for company, (_values, main, email) in zip(companies, chunk, strict=True)
            if main
        ]
    )
env.cr.commit()
seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
print(
    f"BENCH contacts_import_baseline n={len(rows)} seconds={seconds:.1f} odoo_cpu_seconds={cpu:.1f} "
    f"sql_queries={env.cr.sql_log_count - queries}"
)
