"""SIGKILL at random points while --write rewrites a few hundred files: every file is whole, old or
new, never partial; and a later run removes the temporary files the killed runs left."""
from __future__ import annotations

import random
import subprocess
import sys
import time

from test_catalogue import GOOD, GOOD_FIXED

FILES = 200
KILLS = 30


def test_sigkill_during_write_leaves_every_file_old_or_new(tmp_path):
    paths = [tmp_path / f"p{i:03d}" / "polytope.yml" for i in range(FILES)]
    for p in paths:
        p.parent.mkdir()
    rng = random.Random(10)
    seen = {"old": 0, "new": 0}
    for _ in range(KILLS):
        for p in paths:
            p.write_text(GOOD)
        run = subprocess.Popen([sys.executable, "-m", "polyfix", "--write", str(tmp_path)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while run.poll() is None and paths[0].read_text() == GOOD:  # until the writing begins
            time.sleep(0.002)
        time.sleep(rng.uniform(0, 0.05))  # then somewhere among the writes
        run.kill()
        run.wait()
        for p in paths:
            text = p.read_text()
            assert text in (GOOD, GOOD_FIXED), f"{p} is partial: {text!r}"
            seen["old" if text == GOOD else "new"] += 1
    left = len(list(tmp_path.rglob("*polyfix-*")))
    final = subprocess.run([sys.executable, "-m", "polyfix", "--write", str(tmp_path)], capture_output=True, text=True)
    assert final.returncode == 0, final.stderr
    assert all(p.read_text() == GOOD_FIXED for p in paths)
    assert [p.name for p in tmp_path.rglob("*polyfix-*")] == []
    print(f"after {KILLS} kills: {seen['new']} files new, {seen['old']} old, {left} temporary files left")
