"""Process-wide state owned in one place: torch's thread count, and model identities for caches."""

import gc
import threading

import pytest
import torch
from conftest import random_model

from e4s_core.runtime import IntraOpThreads, background_threads, intra_op_threads


def test_intra_op_threads_applies_inside_the_block_and_restores_after():
    before = torch.get_num_threads()
    with intra_op_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with intra_op_threads(None):
        assert torch.get_num_threads() == before


def test_background_work_of_small_cpu_models_uses_one_thread(tiny_model):
    assert background_threads(tiny_model) == 1


def test_blocks_asking_the_same_count_run_side_by_side():
    owner = IntraOpThreads()
    both_inside = threading.Barrier(2, timeout=10)
    seen = []

    def work():
        with owner.use(1):
            both_inside.wait()  # raises BrokenBarrierError if the other could not get in
            seen.append(torch.get_num_threads())

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert seen == [1, 1]


def test_a_block_asking_another_count_waits_until_the_others_leave():
    owner = IntraOpThreads()
    inside, leave, entered = threading.Event(), threading.Event(), threading.Event()
    counts = {}

    def first():
        with owner.use(1):
            inside.set()
            leave.wait(10)
            counts["first, at its end"] = torch.get_num_threads()

    def second():
        inside.wait(10)
        with owner.use(2):
            entered.set()
            counts["second"] = torch.get_num_threads()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    assert inside.wait(10)
    assert not entered.wait(0.3), "a block with another count got in while the first ran"
    assert owner.count == 1
    leave.set()
    for thread in threads:
        thread.join(10)
    assert counts == {"first, at its end": 1, "second": 2}
    assert owner.count is None


def test_a_thread_count_below_one_is_refused():
    with pytest.raises(ValueError, match="1 or more"), IntraOpThreads().use(0):
        pass


def test_model_identities_are_never_reused():
    identities = set()
    for _ in range(20):
        model = random_model()
        identities.add(model.identity)
        del model
        gc.collect()
    assert len(identities) == 20  # id() may hand a new model a collected one's address; identity never


def test_a_block_nested_in_one_with_another_count_fails_instead_of_waiting_forever():
    owner = IntraOpThreads()
    with owner.use(1):
        with owner.use(1):  # the same count nests
            assert torch.get_num_threads() == 1
        with pytest.raises(RuntimeError, match="inside one that holds 1"), owner.use(2):
            pass
        assert torch.get_num_threads() == 1
    assert owner.count is None


def test_every_thread_gets_its_own_count_back_whoever_leaves_last():
    owner = IntraOpThreads()
    main_before = torch.get_num_threads()
    main_inside, other_inside, main_left = threading.Event(), threading.Event(), threading.Event()
    other_counts = []

    def other():
        before = torch.get_num_threads()
        main_inside.wait(10)
        with owner.use(1):
            other_inside.set()
            main_left.wait(10)  # leaves last
        other_counts.append((before, torch.get_num_threads()))

    thread = threading.Thread(target=other)
    thread.start()
    with owner.use(1):
        main_inside.set()
        assert other_inside.wait(10)
    main_left.set()
    thread.join(10)
    assert torch.get_num_threads() == main_before
    assert other_counts and other_counts[0][0] == other_counts[0][1]
