"""Peak memory of a process tree, as the bench reports it."""

import sys
import textwrap

from bench.measure import run_command

MB = 1_000_000


def test_pages_a_forked_child_shares_count_once(tmp_path):
    # 300 MB written by a parent, then shared with a child that only reads it, as a run
    # forked from `ketreg worker` shares the worker's imports. Summed RSS says ~600 MB.
    script = tmp_path / "fork_and_share.py"
    script.write_text(textwrap.dedent("""
        import os, time
        block = bytearray(os.urandom(1 << 20)) * 300
        child = os.fork()
        time.sleep(2)
        if child:
            os.waitpid(child, 0)
    """))
    measured = run_command([sys.executable, str(script)], poll_seconds=0.1)
    assert measured.returncode == 0
    assert 300 * MB < measured.peak_bytes < 400 * MB
