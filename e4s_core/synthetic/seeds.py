"""What each synthetic seed is for: the one table, so that no training step sees an evaluation face.

Seeds below ``TRAIN_SEED_LIMIT`` feed training. Everything at or above it is held out; the
held-out seeds are split by who reads them, and a consumer takes its faces from its own range.
"""

TRAIN_SEED_LIMIT = 1_000_000
TRAIN_SEEDS = range(0, TRAIN_SEED_LIMIT)  # the training stream takes seed n % len(TRAIN_SEEDS)

HELD_OUT_SEEDS = range(TRAIN_SEED_LIMIT, TRAIN_SEED_LIMIT + 900_000)  # evaluation of any kind
PARSER_ACCURACY_SEEDS = range(TRAIN_SEED_LIMIT, TRAIN_SEED_LIMIT + 64)  # train-parser's report
SPEED_BENCHMARK_SEED = TRAIN_SEED_LIMIT + 7  # benchmarks/default_model_speed.py's face
SELFTEST_SEED = TRAIN_SEED_LIMIT + 42  # the selftest's face for the bundled model
FIDELITY_FIRST_SEED = TRAIN_SEED_LIMIT + 1000  # benchmarks/fidelity.py's faces start here

# The trainer's periodic validation faces: outside the evaluation range, so that checking a run
# while it trains never selects it on the faces the fidelity benchmark then reports.
VALIDATION_SEEDS = range(HELD_OUT_SEEDS.stop, HELD_OUT_SEEDS.stop + 1000)
