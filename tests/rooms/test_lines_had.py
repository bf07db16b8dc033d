"""What a member's connection remembers of the lines it sent: enough to skip every repeat and
never skip a line that arrives late, in a bounded amount of memory however long the room runs."""

import tracemalloc

from meetup.rooms.connection import LinesHad


def test_a_late_lower_line_is_sent_and_a_repeat_is_not():
    lines = LinesHad()
    lines.upto = 10  # the history in hello ended at line 10
    assert not lines.take(9) and not lines.take(10)  # in the history already
    assert lines.take(12)
    assert lines.take(11)  # published after 12 by a slower sender: still sent
    assert not lines.take(12) and not lines.take(11)
    assert lines.newest == 12


def test_newest_counts_the_history_when_nothing_came_live():
    lines = LinesHad()
    lines.upto = 40
    assert lines.newest == 40
    lines.take(41)
    assert lines.newest == 41


def test_repeats_within_the_recent_window_are_skipped_however_many_lines_passed():
    lines = LinesHad()
    for line_id in range(1, 10_001):
        assert lines.take(line_id)
    recent = range(10_001 - LinesHad.WINDOW, 10_001)
    assert all(line_id in lines for line_id in recent)
    assert not any(lines.take(line_id) for line_id in recent)


def test_memory_stays_bounded_over_a_long_room():
    """A member held ~650 KiB after a few thousand lines when every id of the last 4,096 was kept;
    the window of bits now costs a few hundred bytes, the same after 5,000 lines as after 20,000."""
    tracemalloc.start()
    try:
        members = [LinesHad() for _ in range(20)]
        start = tracemalloc.get_traced_memory()[0]
        sizes = []
        for line_id in range(1_000_000, 1_020_000):
            for member in members:
                member.take(int(str(line_id)))  # a fresh int per member, as decoding each frame makes
            if line_id in (1_005_000, 1_019_999):
                sizes.append((tracemalloc.get_traced_memory()[0] - start) / len(members))
    finally:
        tracemalloc.stop()
    after_5000, after_20000 = sizes
    assert after_20000 < 1024
    assert after_20000 <= after_5000 * 1.25


def test_a_line_older_than_the_window_is_sent_again_rather_than_lost():
    lines = LinesHad()
    assert lines.take(5)
    assert lines.take(5 + LinesHad.WINDOW)  # the window slid past line 5
    assert 5 not in lines and lines.take(5)  # a repeat this late is sent again: clients keep lines by id
    assert lines.take(4)  # never sent: sent now, however late
    assert not lines.take(5 + LinesHad.WINDOW)


def test_a_jump_far_ahead_keeps_only_the_new_line():
    lines = LinesHad()
    assert lines.take(7)
    assert lines.take(10_000_000)
    assert 10_000_000 in lines and 7 not in lines
    assert lines.take(9_999_999) and not lines.take(9_999_999)
