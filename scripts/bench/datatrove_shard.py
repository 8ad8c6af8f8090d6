#!/usr/bin/env python3
"""Reference for `datarater bench shard`: datatrove's JsonlReader -> JsonlWriter on the same files.

Prints one JSON line: {"documents": N, "text_bytes": B, "seconds": S}. One process, one task (one core),
zstd output like ours. Dev-only; needs `pip install datatrove zstandard`.
"""
import json
import os
import sys
import tempfile
import time

def main() -> None:
    inputs = sys.argv[1]
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter
    from datatrove.executor import LocalPipelineExecutor

    counts = {"documents": 0, "text_bytes": 0}

    def count(data, rank: int = 0, world_size: int = 1):
        for document in data:
            counts["documents"] += 1
            counts["text_bytes"] += len(document.text.encode("utf-8"))
            yield document

    with tempfile.TemporaryDirectory() as out:
        pipeline = [
            JsonlReader(inputs, glob_pattern="*.jsonl.zst", compression="infer", doc_progress=False),
            count,
            JsonlWriter(out, compression="zstd"),
        ]
        start = time.perf_counter()
        LocalPipelineExecutor(pipeline=pipeline, tasks=1, workers=1, logging_dir=os.path.join(out, "logs"),
                              skip_completed=False).run()
        seconds = time.perf_counter() - start
    print(json.dumps({"documents": counts["documents"], "text_bytes": counts["text_bytes"], "seconds": seconds}))

if __name__ == "__main__":
    main()
