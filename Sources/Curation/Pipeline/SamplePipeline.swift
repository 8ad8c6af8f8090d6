// The text of pipelines/sample.yaml, built into the binary so `datarater run` needs no file argument (run it
// from the repository root: its input is shards/sample).
// PipelineTests checks that the two are identical: edit the YAML file, then paste it here.

extension PipelineFile {
    public static let sampleText = #"""
# The bundled sample pipeline: curates shards/sample (2,413 documents of Debian documentation, man pages,
# code, raw HTML and non-English pages, in every input format) end to end in a few minutes on 2 cores.
# `datarater run` with no pipeline file runs this one (it is built into the binary).
#
# Every key is optional except `inputs` and `threshold.discard`; unknown keys are errors. Relative paths
# resolve against the working directory. Each section maps to one stage's flags (`datarater STAGE --help`).

name: sample
run: runs/sample                # the run directory; `datarater run --out DIR` overrides it
inputs:                         # files or directories: JSONL (.jsonl/.zst/.gz), tar archives, WARC/WET
  - shards/sample

shard:
  shard_size: 2MB               # target uncompressed size of a document shard (4 shards here)
  format: auto                  # field mapping: auto, dolma, pile, c4 or text
  invalid_utf8: reject          # reject (to rejected/) or repair (U+FFFD, counted)
  max_record_size: 64MB         # larger records are rejected without being buffered
  compression_level: 3          # zstd level of the shards

tokenizer:
  train:                        # learn a byte-level BPE from the run; or `path: tokenizer.json` to use one
    vocab_size: 2048
    sample_size: 50MB           # text sampled (deterministically, by id hash) to learn from
    seed: 0

tokenize:
  workers: 2                    # local worker processes, or Slurm array tasks

train:                          # meta-learn the DataRater (omit, and set `model:`, to use a trained one)
  steps: 60                     # meta-steps; the rest of the configuration is `datarater train --print-config`
  seed: 0
  threads: 2                    # CPUs for the population of inner LMs
# config: meta.json             # a full meta-training configuration (from --print-config, edited)
# target: runs/wiki             # curate toward another corpus: its held-out loss is the outer loss
# model: runs/other/model       # a trained DataRater (same tokenizer) instead of training one;
#                               # a list [a/model, b/model] scores with an ensemble of DataRaters

score:
  workers: 2

threshold:
  discard: 0.5                  # fraction of documents to discard
  per_source: false             # true: discard that fraction within every source
  rule: quantile                # quantile (one corpus-wide cutoff) or batch-top-k (the paper's online rule)

write:
  workers: 1

audit:
  html: audit.html              # the audit page, relative to the run directory

slurm:                          # used by `--executor slurm` only
  time: "00:30:00"              # per job
  mem: 4G                       # per job
  max_retries: 2                # resubmissions of a failed task before the run fails
  poll_seconds: 2

"""#
}
