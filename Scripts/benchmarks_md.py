"""Writes one benchmark's block into BENCHMARKS.md.

The text between the benchmark's markers (`<!-- NAME:begin -->`, `<!-- NAME:end -->`) is
replaced, or, the first time, the block is appended under `heading`; the rest of the file is
left alone. The file is written atomically: temporary file, fsync, rename. Standard library only.
"""
import os


def replace_block(path, name, heading, text):
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    body = open(path).read() if os.path.exists(path) else "# Benchmarks\n"
    block = f"{begin}\n{text}\n{end}"
    if begin in body and end in body:
        body = body[: body.index(begin)] + block + body[body.index(end) + len(end):]
    else:
        body = body.rstrip("\n") + f"\n\n## {heading}\n\n" + block + "\n"
    with open(path + ".tmp", "w") as f:
        f.write(body)
        f.flush()
        os.fsync(f.fileno())
    os.replace(path + ".tmp", path)
