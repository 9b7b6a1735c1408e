"""A class, simulated on this machine: 50 browser sessions on two app servers submit 200
short runs (MLP, offline digits, one epoch) to a PostgreSQL store and a local Ray cluster
with 2 CPUs.

Each session tries five runs against a cap of four per session, through its server's
``JobManager`` as the Train page does. Meanwhile each server polls as the Train page does
(the activity, the history, one run's row and its new steps and epochs). The benchmark
checks that every accepted run completes exactly once (one row each, all its steps and
its epoch, no more), that the cluster took them oldest first, and that the caps held; it
times the polls while the runs train and once all 200 are stored. Writes its section of
bench/RESULTS.md.

    python -m bench.load_bench
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import threading
import time

from bench.results import machine, write_section
from schedlab.errors import LimitError
from tests.clusters import new_database, running_postgres, running_ray
from tests.faults import QUICK, SCHEDULE

SESSIONS, TRIES, CAP, SERVERS = 50, 5, 4, 2


def poll_once(store, run_id: int, seen: dict) -> float:
    """One poll of the Train page: its queries, timed together (seconds)."""
    t0 = time.perf_counter()
    store.activity()
    store.runs()
    store.run(run_id)
    steps = store.steps(run_id, after=seen.get(run_id, (0, 0))[0])
    epochs = store.epochs(run_id, after=seen.get(run_id, (0, 0))[1])
    seen[run_id] = (int(steps["id"].iloc[-1]) if len(steps) else seen.get(run_id, (0, 0))[0],
                    int(epochs["id"].iloc[-1]) if len(epochs) else seen.get(run_id, (0, 0))[1])
    return time.perf_counter() - t0


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 20 else max(values)


def main() -> None:
    data = tempfile.mkdtemp(prefix="schedlab-load-")
    with running_postgres() as server, running_ray(data, cpus=2) as ray_env:
        url = new_database(server)
        os.environ.update({**ray_env, "SCHEDLAB_JOBS": "ray", "SCHEDLAB_DATA": data,
                           "SCHEDLAB_MNIST_MIRRORS": "", "SCHEDLAB_MAX_SESSION_RUNS": str(CAP),
                           "SCHEDLAB_MAX_QUEUED_RUNS": str(SESSIONS * CAP)})
        from schedlab.jobs.manager import JobManager

        servers = [JobManager(url) for _ in range(SERVERS)]
        for jobs in servers:
            assert jobs.supervise() is None, "the cluster's dispatcher did not start"
        accepted: list[tuple[int, int]] = []  # (session, run id)
        refused: list[int] = []
        lock = threading.Lock()

        def session(i: int) -> None:
            jobs = servers[i % SERVERS]
            for k in range(TRIES):
                try:
                    run_id = jobs.submit(SCHEDULE, QUICK, f"session {i} run {k}",
                                         session=f"s{i}")
                    with lock:
                        accepted.append((i, run_id))
                except LimitError:
                    with lock:
                        refused.append(i)
                time.sleep(random.uniform(0, 0.05))

        t0 = time.monotonic()
        threads = [threading.Thread(target=session, args=(i,)) for i in range(SESSIONS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        queued_in = time.monotonic() - t0
        busy: list[float] = []
        done_event = threading.Event()

        def poller(jobs) -> None:
            seen: dict = {}
            while not done_event.is_set():
                jobs.supervise()
                active = jobs.store.activity()[1]
                run_id = active[0][0] if active else accepted[-1][1]
                busy.append(poll_once(jobs.store, run_id, seen))
                time.sleep(0.2)

        pollers = [threading.Thread(target=poller, args=(jobs,)) for jobs in servers]
        for t in pollers:
            t.start()
        store = servers[0].store
        deadline = time.monotonic() + 1500
        while store.active() and time.monotonic() < deadline:
            time.sleep(1)
        trained_in = time.monotonic() - t0
        done_event.set()
        for t in pollers:
            t.join()
        rows = store.summaries()
        idle = [poll_once(store, rid, {}) for _, rid in random.sample(accepted, 100)]
        ids = sorted(r for _, r in accepted)
        by_id = {r["id"]: r for r in rows}
        done = [i for i in ids if by_id[i]["status"] == "done"]
        steps_ok = all(by_id[i]["steps"] == 8 for i in done)
        epochs_ok = all(len(store.epochs(i)) == 1 for i in done)
        started = [store.run(i)["started"] for i in ids]
        fifo = all(a <= b for a, b in zip(started, started[1:]))
        per_session = max(sum(s == i for s, _ in accepted) for i in range(SESSIONS))
        for jobs in servers:
            jobs.shutdown()
    result = {
        "accepted": len(accepted), "refused": len(refused), "done": len(done),
        "rows": len(rows), "steps_ok": steps_ok, "epochs_ok": epochs_ok, "fifo": fifo,
        "per_session": per_session, "queued_in": queued_in, "trained_in": trained_in,
        "busy_p50": statistics.median(busy), "busy_p95": p95(busy), "polls": len(busy),
        "idle_p50": statistics.median(idle), "idle_p95": p95(idle),
    }
    print(result, flush=True)
    write_section("load_bench", render(result))


def render(r: dict) -> str:
    ok = r["done"] == r["accepted"] == r["rows"] == SESSIONS * CAP and r["steps_ok"] and \
        r["epochs_ok"] and r["fifo"] and r["per_session"] <= CAP
    return "\n".join([
        "## A class on PostgreSQL and Ray (`bench/load_bench.py`)",
        "",
        f"Measured {machine()}. PostgreSQL 15 (Debian's package, fsync off) and a local "
        f"Ray cluster (`ray start --head`, 2 CPUs) on the same 2 cores. {SESSIONS} browser "
        f"sessions on {SERVERS} app servers (two `JobManager`s, `SCHEDLAB_JOBS=ray`) each try "
        f"{TRIES} runs against a cap of {CAP} per session (MLP, offline digits, one epoch, "
        "8 steps); each server polls as the Train page does every 0.2 s (activity, "
        "history, a run's row, its new steps and epochs: one poll, timed whole).",
        "",
        "| measurement | result |",
        "|---|---:|",
        f"| runs accepted / refused by the cap | {r['accepted']} / {r['refused']} |",
        f"| most runs one session got | {r['per_session']} (cap {CAP}) |",
        f"| runs done, each exactly once with its 8 steps and 1 epoch | {r['done']} "
        f"({'yes' if r['steps_ok'] and r['epochs_ok'] and r['rows'] == r['accepted'] else 'NO'}) |",
        f"| started oldest first (FIFO) | {'yes' if r['fifo'] else 'NO'} |",
        f"| all queued in / all trained in | {r['queued_in']:.1f} s / {r['trained_in']:.0f} s |",
        f"| a poll while the runs train (p50 / p95 of {r['polls']}) | "
        f"{r['busy_p50'] * 1e3:.1f} / {r['busy_p95'] * 1e3:.1f} ms |",
        f"| a poll with {r['rows']} runs stored, cluster idle (p50 / p95 of 100) | "
        f"{r['idle_p50'] * 1e3:.1f} / {r['idle_p95'] * 1e3:.1f} ms |",
        "",
        f"Target: every run completes once, in order, within the caps "
        f"({'met' if ok else 'NOT met'}); a poll at most 20 ms p95 with 200 runs stored "
        f"({'met' if r['idle_p95'] <= 0.02 else 'NOT met'}).",
        "",
        "On a real cluster: the runs would train on GPU nodes, each in its own Ray worker "
        "(here two CPU workers share the 2 cores with PostgreSQL, Ray's own processes and "
        "the two servers, so the time to train all of them is this machine's, not a "
        "cluster's); PostgreSQL on its own machine adds a network round trip (about 0.2-1 ms "
        "on a LAN) to each of a poll's five queries, and a class's history grows the "
        "history query, which reads every run's row (measured here with 200; a term of "
        "several thousand runs would want the history paged). The dispatcher claims at most as "
        "many runs as the cluster has GPUs (or CPUs), so the queue's order holds however "
        "many nodes join.",
    ])


if __name__ == "__main__":
    main()
