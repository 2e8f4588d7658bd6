from xero_connector.ratelimit import Budget, Limits, MemoryRateLimiter


def test_at_most_per_minute_in_any_window():
    limits = Limits(per_minute=60, concurrent=100, window=60.0)
    budget, now, starts = Budget(), 0.0, []
    while now < 300:
        wait, token = budget.try_acquire(now, limits)
        if token:
            starts.append(now)
            budget.release(token)
            now += 0.1
        else:
            assert wait > 0
            now += wait
    assert max(sum(1 for t in starts if s <= t < s + 60) for s in starts) == 60
    assert len(starts) >= 60 * 5


def test_concurrent_calls_are_capped_and_released():
    limits = Limits(per_minute=100, concurrent=5)
    budget = Budget()
    tokens = [budget.try_acquire(1.0, limits)[1] for _ in range(5)]
    assert all(tokens)
    assert budget.try_acquire(1.0, limits)[1] is None
    budget.release(tokens[0])
    assert budget.try_acquire(1.0, limits)[1]


def test_lost_in_flight_calls_expire():
    limits = Limits(per_minute=100, concurrent=1, stale_after=120)
    budget = Budget()
    assert budget.try_acquire(0.0, limits)[1]
    assert budget.try_acquire(10.0, limits)[1] is None
    assert budget.try_acquire(121.0, limits)[1]


def test_pause_holds_every_call():
    budget = Budget()
    budget.pause(30.0)
    wait, token = budget.try_acquire(10.0, Limits())
    assert token is None and wait == 20.0


def test_state_round_trips_as_plain_data():
    budget = Budget()
    budget.try_acquire(5.0, Limits())
    again = Budget.from_dict(budget.to_dict())
    assert again == budget


def test_memory_limiter_sleeps_until_a_slot_is_free():
    clock = [0.0]
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        clock[0] += seconds

    limiter = MemoryRateLimiter(Limits(per_minute=2, window=10.0), clock=lambda: clock[0], sleep=sleep)
    for _ in range(3):
        with limiter.slot():
            pass
    assert slept == [10.0]
