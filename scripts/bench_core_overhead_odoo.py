# Run inside `odoo shell` on the database WITH the addon (connected to the sandbox by
# bench_odoo_connect.py) by scripts/bench.py, which sets BASELINE_DB (the same modules
# without the addon), ROUNDS, PARTNERS and MOVES first. Odoo's own everyday work on
# records the addon does not sync - partner writes, invoice posting, payment
# registration - timed on both databases in alternate rounds of one process, so the
# machine's load weighs on both alike.
import statistics
import time

import odoo
from odoo.modules.registry import Registry


def prepare(env):
    company = env.company
    income = env["account.account"].search(
        [("company_ids", "in", company.id), ("account_type", "=", "income")], limit=1
    )
    journal = env["account.journal"].search([("company_id", "=", company.id), ("type", "=", "sale")], limit=1)
    partners = env["res.partner"].create(
        [
            {
                "name": f"Overhead Customer {i:04d}",
                "is_company": True,
                "customer_rank": 1,
                "email": f"c{i}@bench.example",
            }
            for i in range(PARTNERS)
        ]
    )
    env.cr.commit()
    return {"income": income, "journal": journal, "partners": partners}


def drafts(env, data, count, tag):
    moves = env["account.move"].create(
        [
            {
                "move_type": "out_invoice",
                "partner_id": data["partners"][i % len(data["partners"])].id,
                "invoice_date": "2026-10-01",
                "journal_id": data["journal"].id,
                "ref": f"{tag}-{i}",
                "invoice_line_ids": [
                    (
                        0,
                        0,
                        {
                            "name": f"Line {k}",
                            "quantity": k + 1,
                            "price_unit": 10.0 + k,
                            "account_id": data["income"].id,
                        },
                    )
                    for k in range(3)
                ],
            }
            for i in range(count)
        ]
    )
    env.cr.commit()
    return moves


def timed(env, records, action):
    started = time.perf_counter()
    for record in records:
        action(record)
        env.flush_all()
    seconds = time.perf_counter() - started
    env.cr.commit()
    return seconds


def one_round(env, data, number):
    partners = data["partners"]
    writes = timed(
        env,
        partners,
        lambda p: p.write({"email": f"r{number}.{p.id}@bench.example", "phone": f"+64 9 {number}{p.id:05d}"}),
    )
    moves = drafts(env, data, MOVES, f"R{number}")
    posts = timed(env, moves, lambda m: m.action_post())
    pays = timed(
        env,
        moves,
        lambda m: (
            env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=m.ids)
            .create({})
            ._create_payments()
        ),
    )
    assert all(m.payment_state in ("paid", "in_payment") for m in moves), moves.mapped("payment_state")
    return {"partner_write": writes, "invoice_post": posts, "payment": pays}


addon_env = env
assert "xero.connection" in addon_env and connection.state == "connected", connection.state
baseline_registry = Registry(BASELINE_DB)
with baseline_registry.cursor() as baseline_cr:
    # The same user, context and privileges as the shell's `env` (lang and tz included).
    context = odoo.api.Environment(baseline_cr, env.uid, {})["res.users"].context_get()
    baseline_env = odoo.api.Environment(baseline_cr, env.uid, context, su=env.su)
    assert dict(baseline_env.context) == dict(env.context), (baseline_env.context, env.context)
    assert "xero.connection" not in baseline_env
    data = {"addon": prepare(addon_env), "baseline": prepare(baseline_env)}
    times = {"addon": [], "baseline": []}
    for number in range(ROUNDS + 1):
        order = ("addon", "baseline") if number % 2 else ("baseline", "addon")
        for side in order:
            side_env = addon_env if side == "addon" else baseline_env
            figures = one_round(side_env, data[side], number)
            if number:  # round 0 warms caches on both sides
                times[side].append(figures)

sent = addon_env["xero.document"].search_count([])
ratios = {
    kind: statistics.median(r[kind] for r in times["addon"]) / statistics.median(r[kind] for r in times["baseline"])
    for kind in ("partner_write", "invoice_post", "payment")
}
print(
    f"BENCH core_overhead partner_write_ratio={ratios['partner_write']:.2f} "
    f"invoice_post_ratio={ratios['invoice_post']:.2f} payment_ratio={ratios['payment']:.2f} "
    f"rounds={ROUNDS} partners={PARTNERS} moves={MOVES} xero_documents={sent}"
)
