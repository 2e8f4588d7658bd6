# Run inside `odoo shell` on the database WITH the addon (connected to the sandbox by
# bench_odoo_connect.py) by scripts/bench.py, which sets BASELINE_DB (the same modules
# without the addon), ROUNDS, PARTNERS and MOVES first. Odoo's own everyday work on
# records the addon does not sync - partner writes, invoice posting, payment
# registration - timed on both databases in one process, in alternate chunks of 10
# operations, so the machine's changing load weighs on both alike; the SQL queries
# of each side are counted too (the same work shows the same queries).
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


CHUNK = 10  # operations timed on one side before the other side's: both meet the same load


def timed(sides, records, action):
    """Run `action` on each side's records, in alternate chunks of CHUNK; the seconds and SQL
    queries each side spent."""
    spent = {side: [0.0, 0] for side in sides}
    count = len(next(iter(records.values())))
    for number, first in enumerate(range(0, count, CHUNK)):
        order = list(sides) if number % 2 else list(reversed(sides))
        for side in order:
            side_env = sides[side]
            queries, started = side_env.cr.sql_log_count, time.perf_counter()
            for record in records[side][first : first + CHUNK]:
                action(side_env, record)
                side_env.flush_all()
            spent[side][0] += time.perf_counter() - started
            spent[side][1] += side_env.cr.sql_log_count - queries
            side_env.cr.commit()
    return spent


def write_partner(number):
    return lambda env, p: p.write({"email": f"r{number}.{p.id}@bench.example", "phone": f"+64 9 {number}{p.id:05d}"})


def register_payment(env, move):
    env["account.payment.register"].with_context(active_model="account.move", active_ids=move.ids).create(
        {}
    )._create_payments()


def one_round(sides, data, number):
    figures = {side: {} for side in sides}
    partners = {side: data[side]["partners"] for side in sides}
    moves = {side: drafts(sides[side], data[side], MOVES, f"R{number}") for side in sides}
    for kind, records, action in (
        ("partner_write", partners, write_partner(number)),
        ("invoice_post", moves, lambda env, m: m.action_post()),
        ("payment", moves, register_payment),
    ):
        for side, spent in timed(sides, records, action).items():
            figures[side][kind] = spent
    for side in sides:
        assert all(m.payment_state in ("paid", "in_payment") for m in moves[side]), side
    return figures


addon_env = env
assert "xero.connection" in addon_env and connection.state == "connected", connection.state
baseline_registry = Registry(BASELINE_DB)
with baseline_registry.cursor() as baseline_cr:
    # The same user, context and privileges as the shell's `env` (lang and tz included).
    context = odoo.api.Environment(baseline_cr, env.uid, {})["res.users"].context_get()
    baseline_env = odoo.api.Environment(baseline_cr, env.uid, context, su=env.su)
    assert dict(baseline_env.context) == dict(env.context), (baseline_env.context, env.context)
    assert "xero.connection" not in baseline_env
    sides = {"addon": addon_env, "baseline": baseline_env}
    data = {side: prepare(side_env) for side, side_env in sides.items()}
    times = {"addon": [], "baseline": []}
    for number in range(ROUNDS + 1):
        figures = one_round(sides, data, number)
        if number:  # round 0 warms caches on both sides
            for side in sides:
                times[side].append(figures[side])

sent = addon_env["xero.document"].search_count([])


def median(side, kind, index=0):
    return statistics.median(r[kind][index] for r in times[side])


kinds = ("partner_write", "invoice_post", "payment")
ratios = {kind: median("addon", kind) / median("baseline", kind) for kind in kinds}
print(
    f"BENCH core_overhead partner_write_ratio={ratios['partner_write']:.2f} "
    f"invoice_post_ratio={ratios['invoice_post']:.2f} payment_ratio={ratios['payment']:.2f} "
    f"rounds={ROUNDS} partners={PARTNERS} moves={MOVES} xero_documents={sent} "
    + " ".join(f"{kind}_seconds={median('addon', kind):.2f}/{median('baseline', kind):.2f}" for kind in kinds)
    + " "
    + " ".join(f"{kind}_queries={median('addon', kind, 1):.0f}/{median('baseline', kind, 1):.0f}" for kind in kinds)
)
