#!/usr/bin/python3
# Unit tests of linearizability.py on hand-made histories that must pass and must fail, and on
# generated histories of a simulated atomic register (must pass; with one read made stale,
# must fail). No server involved: `/usr/bin/python3 test_linearizability.py`.
import itertools
import os
import random
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import linearizability as lin  # noqa: E402

INIT = ("init", 0)


def read(process, t0, t1, value, version, key="k", synced=True):
    op = lin.Op(process, key, lin.READ, t0, synced=synced)
    op.complete_s, op.outcome, op.value, op.version = t1, lin.OK, value, version
    return op


def write(process, t0, t1, value, expected, result, key="k"):
    """result: the new version (ok), "bad" (BadVersion) or None (unknown; t1 is ignored)."""
    op = lin.Op(process, key, lin.WRITE, t0, value=value, expected_version=expected)
    if result is None:
        op.outcome = lin.UNKNOWN
    elif result == "bad":
        op.complete_s, op.outcome = t1, lin.BAD_VERSION
    else:
        op.complete_s, op.outcome, op.version = t1, lin.OK, result
    return op


def check(ops, initial=None, **kw):
    keys = {op.key for op in ops}
    return lin.check(ops, initial or {k: INIT for k in keys}, **kw)


class MustPass(unittest.TestCase):
    def assertLinearizable(self, ops, **kw):
        result = check(ops, **kw)
        self.assertTrue(result.ok, result.message)

    def test_empty_and_reads_only(self):
        self.assertLinearizable([])
        self.assertLinearizable([read(1, 0, 1, "init", 0), read(2, 0.5, 2, "init", 0)])

    def test_sequential(self):
        self.assertLinearizable([write(1, 0, 1, "a", 0, 1), read(2, 2, 3, "a", 1),
                                 write(2, 4, 5, "b", 1, 2), read(1, 6, 7, "b", 2)])

    def test_reads_during_a_write_see_old_then_new(self):
        self.assertLinearizable([write(1, 0, 10, "a", 0, 1), read(2, 1, 2, "init", 0),
                                 read(3, 3, 4, "a", 1), read(2, 5, 6, "a", 1)])

    def test_concurrent_reads_may_see_either_order_of_overlapping_ops(self):
        # The read completing first saw the new value, the one invoked later the old one:
        # fine, because both overlap the write and each other.
        self.assertLinearizable([write(1, 0, 10, "a", 0, 1), read(2, 1, 4, "a", 1),
                                 read(3, 2, 9, "init", 0)])

    def test_two_writes_from_one_version_one_wins(self):
        self.assertLinearizable([write(1, 0, 3, "a", 0, 1), write(2, 1, 4, "b", 0, "bad"),
                                 read(3, 5, 6, "a", 1)])

    def test_bad_version_consistent(self):
        self.assertLinearizable([write(1, 0, 1, "a", 5, "bad"), read(2, 2, 3, "init", 0)])

    def test_unknown_write_that_took_effect(self):
        self.assertLinearizable([write(1, 0, None, "a", 0, None), read(2, 5, 6, "a", 1),
                                 write(2, 7, 8, "b", 1, 2)])

    def test_unknown_write_that_never_took_effect(self):
        self.assertLinearizable([write(1, 0, None, "a", 0, None), read(2, 5, 6, "init", 0),
                                 write(2, 7, 8, "b", 0, 1), read(1, 9, 10, "b", 1)])

    def test_unknown_write_taking_effect_long_after_the_client_gave_up(self):
        self.assertLinearizable([write(1, 0, None, "a", 0, None), read(2, 5, 6, "init", 0),
                                 read(2, 10, 11, "a", 1)])

    def test_keys_are_independent(self):
        self.assertLinearizable([write(1, 0, 1, "a", 0, 1, key="x"),
                                 read(2, 2, 3, "init", 0, key="y"),
                                 read(2, 4, 5, "a", 1, key="x")])

    def test_plain_reads_are_not_checked(self):
        # A stale plain read is allowed by ZooKeeper's consistency model.
        self.assertLinearizable([write(1, 0, 1, "a", 0, 1),
                                 read(2, 2, 3, "init", 0, synced=False)])

    def test_initial_state_other_than_version_zero(self):
        self.assertLinearizable([read(1, 0, 1, "x", 7), write(1, 2, 3, "y", 7, 8)],
                                initial={"k": ("x", 7)})


class MustFail(unittest.TestCase):
    def assertNotLinearizable(self, ops, **kw):
        result = check(ops, **kw)
        self.assertFalse(result.ok, "accepted a non-linearizable history")
        self.assertFalse(result.inconclusive, result.message)
        self.assertIn("no linearization", result.message)
        return result

    def test_stale_read(self):
        result = self.assertNotLinearizable([write(1, 0, 1, "a", 0, 1),
                                             read(2, 2, 3, "init", 0)])
        self.assertIn("read -> ('init', 0)", result.message)

    def test_stale_read_after_a_later_read_saw_the_new_value(self):
        self.assertNotLinearizable([write(1, 0, 10, "a", 0, 1), read(2, 1, 2, "a", 1),
                                    read(3, 3, 4, "init", 0)])

    def test_lost_write(self):
        self.assertNotLinearizable([write(1, 0, 1, "a", 0, 1), write(2, 2, 3, "b", 1, 2),
                                    read(3, 4, 5, "a", 1)])

    def test_two_writes_succeed_from_the_same_version(self):
        self.assertNotLinearizable([write(1, 0, 2, "a", 0, 1), write(2, 1, 3, "b", 0, 1)])
        self.assertNotLinearizable([write(1, 0, 2, "a", 0, 1), write(2, 1, 3, "b", 0, 2)])

    def test_read_of_a_value_never_written(self):
        self.assertNotLinearizable([write(1, 0, 1, "a", 0, 1), read(2, 2, 3, "z", 1)])

    def test_read_sees_a_write_before_it_was_invoked(self):
        self.assertNotLinearizable([read(1, 0, 1, "a", 1), write(2, 2, 3, "a", 0, 1)])
        self.assertNotLinearizable([read(1, 0, 1, "a", 1), write(2, 2, None, "a", 0, None)])

    def test_bad_version_although_the_version_matched(self):
        self.assertNotLinearizable([write(1, 0, 1, "a", 0, "bad")])

    def test_write_acknowledged_with_a_wrong_new_version(self):
        self.assertNotLinearizable([write(1, 0, 1, "a", 0, 2)])

    def test_only_the_failing_key_is_reported(self):
        result = self.assertNotLinearizable([
            write(1, 0, 1, "a", 0, 1, key="good"), read(2, 2, 3, "a", 1, key="good"),
            write(1, 0, 1, "a", 0, 1, key="bad"), read(2, 2, 3, "init", 0, key="bad")])
        self.assertEqual(result.key, "bad")

    def test_work_bound_makes_it_inconclusive(self):
        # Many concurrent unknown writes from every version, then an impossible read.
        ops = [write(p, 0, None, "v%d" % p, p % 20, None) for p in range(60)]
        ops += [write(100, 0, 50, "w", 0, 1), read(101, 60, 61, "nothing", 99)]
        result = check(ops, work_max=50)
        self.assertFalse(result.ok)
        self.assertTrue(result.inconclusive)


class Generated(unittest.TestCase):
    """Histories of a simulated atomic register: every op takes effect at one instant inside
    its interval; some writes end unknown (applied or not)."""

    CLIENTS = 4
    OPS = 400

    def history(self, seed):
        rng = random.Random(seed)
        ops = []
        busy_until = [0.0] * self.CLIENTS
        for n in range(self.OPS):
            p = rng.randrange(self.CLIENTS)
            t0 = busy_until[p] + rng.uniform(0, 0.02)
            point = t0 + rng.uniform(0, 0.05)
            t1 = point + rng.uniform(0, 0.05)
            busy_until[p] = t1
            ops.append((point, p, t0, t1, rng.random(), rng.random(), n))
        ops.sort()
        value, version = INIT
        out = []
        for point, p, t0, t1, kind_roll, outcome_roll, n in ops:
            if kind_roll < 0.5:
                out.append(read(p, t0, t1, value, version))
                continue
            expected = version if outcome_roll < 0.7 else max(0, version - 1)
            unknown = outcome_roll > 0.9
            applies = expected == version and (not unknown or outcome_roll > 0.95)
            if applies:
                value, version = "c%d-%d" % (p, n), version + 1
            if unknown:
                out.append(write(p, t0, None, "c%d-%d" % (p, n), expected, None))
            elif applies:
                out.append(write(p, t0, t1, value, expected, version))
            else:
                out.append(write(p, t0, t1, "c%d-%d" % (p, n), expected, "bad"))
        return out

    def test_generated_histories_pass(self):
        started = time.monotonic()
        for seed in range(20):
            result = check(self.history(seed))
            self.assertTrue(result.ok, "seed %d: %s" % (seed, result.message))
        self.assertLess(time.monotonic() - started, 60)

    def test_generated_histories_with_a_stale_read_fail(self):
        for seed in range(20):
            ops = self.history(seed)
            writes = [op for op in ops if op.kind == lin.WRITE and op.outcome == lin.OK]
            reads = [op for op in ops if op.kind == lin.READ
                     and any(w.complete_s < op.invoke_s for w in writes)]
            victim = random.Random(seed).choice(reads)
            victim.value, victim.version = INIT   # older than a write completed before it
            result = check(ops)
            self.assertFalse(result.ok, "seed %d: stale read accepted" % seed)
            self.assertFalse(result.inconclusive, "seed %d: %s" % (seed, result.message))


def brute_force_linearizable(ops, initial):
    """The definition, by enumeration: some subset of the unknown writes plus every definite
    op, in some order that respects real time, runs on a register with every result matching."""
    definite = [op for op in ops if op.outcome in (lin.OK, lin.BAD_VERSION)]
    unknown = [op for op in ops if op.outcome == lin.UNKNOWN and op.kind == lin.WRITE]
    inf = float("inf")

    def end(op):
        return op.complete_s if op.complete_s is not None else inf

    for mask in range(1 << len(unknown)):
        chosen = definite + [op for n, op in enumerate(unknown) if mask & (1 << n)]
        for order in itertools.permutations(chosen):
            if any(end(order[j]) < order[i].invoke_s
                   for i in range(len(order)) for j in range(i + 1, len(order))):
                continue
            state = initial
            for op in order:
                state = lin._step(op, *state)
                if state is None:
                    break
            else:
                return True
    return False


class AgainstBruteForce(unittest.TestCase):
    """Random small histories, mostly not linearizable: the search and the definition agree."""

    def random_history(self, rng):
        ops = []
        for n in range(rng.randrange(1, 7)):
            t0 = rng.randrange(0, 10)
            t1 = t0 + rng.randrange(1, 5)
            value, version = rng.choice([("init", 0), ("a", 1), ("b", 1), ("b", 2), ("c", 2)])
            roll = rng.random()
            if roll < 0.4:
                ops.append(read(n, t0, t1, value, version))
            elif roll < 0.7:
                ops.append(write(n, t0, t1, value, version - 1 if version else 0,
                                 version if version else 1))
            elif roll < 0.85:
                ops.append(write(n, t0, t1, value, rng.randrange(0, 3), "bad"))
            else:
                ops.append(write(n, t0, None, value, max(version - 1, 0), None))
        return ops

    def test_agrees_with_the_definition(self):
        rng = random.Random(1234)
        verdicts = {True: 0, False: 0}
        for _ in range(3000):
            ops = self.random_history(rng)
            want = brute_force_linearizable(ops, INIT)
            got = check(ops)
            self.assertFalse(got.inconclusive)
            self.assertEqual(got.ok, want, "\n".join(op.describe() for op in ops))
            verdicts[want] += 1
        # Both verdicts must be well represented, or the comparison proves little.
        self.assertGreater(min(verdicts.values()), 300, verdicts)


class SessionOrder(unittest.TestCase):
    def test_monotonic_reads_pass(self):
        ops = [read(1, 0, 1, "a", 1, synced=False), read(1, 2, 3, "a", 1),
               write(1, 4, 5, "b", 1, 2), read(1, 6, 7, "b", 2, synced=False),
               read(2, 0, 1, "init", 0, synced=False)]
        self.assertEqual(lin.check_session_order(ops), [])

    def test_version_going_back_is_reported(self):
        ops = [read(1, 0, 1, "b", 2, synced=False), read(1, 2, 3, "a", 1, synced=False)]
        self.assertEqual(len(lin.check_session_order(ops)), 1)

    def test_read_older_than_own_write_is_reported(self):
        ops = [write(1, 0, 1, "b", 1, 2), read(1, 2, 3, "a", 1, synced=False)]
        self.assertEqual(len(lin.check_session_order(ops)), 1)

    def test_other_clients_and_keys_do_not_count(self):
        ops = [read(1, 0, 1, "b", 2), read(2, 2, 3, "a", 1),
               read(1, 4, 5, "init", 0, key="other")]
        self.assertEqual(lin.check_session_order(ops), [])


class Recorder(unittest.TestCase):
    def test_history_records_and_closes_pending_as_unknown(self):
        clock = iter(range(100)).__next__
        h = lin.History(clock=clock)
        r = h.invoke_read(1, "k")
        w = h.invoke_write(2, "k", "a", 0)
        lost = h.invoke_write(3, "k", "b", 0)
        h.complete_write(w, 1)
        h.complete_read(r, "a", 1)
        ops = h.close()
        self.assertEqual(lost.outcome, lin.UNKNOWN)
        self.assertEqual([op.index for op in ops], [0, 1, 2])
        self.assertTrue(lin.check(ops, {"k": INIT}).ok)


if __name__ == "__main__":
    unittest.main(verbosity=2)
