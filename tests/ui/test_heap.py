"""HeapKeeper: full garbage collections run when the user is idle, and at least every MAX_WAIT seconds."""

from __future__ import annotations

import gc

from sftui.ui.heap import MAX_WAIT, MIN_GAP, QUIET, THRESHOLD2, HeapKeeper


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make(events: list[float]) -> tuple[HeapKeeper, Clock, list[int]]:
    clock, ran = Clock(), []
    keeper = HeapKeeper(lambda: events[0], clock=clock, collect=lambda: ran.append(1))
    return keeper, clock, ran


def test_collects_only_after_a_quiet_second_and_not_in_a_loop() -> None:
    events = [float("-inf")]
    keeper, clock, ran = make(events)
    clock.now += MIN_GAP - 1
    assert not keeper.tick()  # too soon after the last pass
    clock.now += 1
    keeper.touched()  # the user typed just now
    assert not keeper.tick()
    clock.now += QUIET
    assert keeper.tick() and ran == [1]
    clock.now += 1
    assert not keeper.tick()  # idle, but a pass just ran


def test_a_stream_of_backend_events_defers_it_until_max_wait() -> None:
    events = [0.0]
    keeper, clock, ran = make(events)
    for _ in range(int(MAX_WAIT) - 1):
        clock.now += 1
        events[0] = clock.now  # progress arrives every second
        assert not keeper.tick()
    clock.now += 1
    events[0] = clock.now
    assert keeper.tick() and keeper.full_passes == 1


def test_install_raises_the_full_pass_threshold_and_uninstall_restores_it() -> None:
    before = gc.get_threshold()
    keeper = HeapKeeper(lambda: 0.0)
    keeper.install()
    try:
        assert gc.get_threshold() == (before[0], before[1], THRESHOLD2)
    finally:
        keeper.uninstall()
    assert gc.get_threshold() == before
