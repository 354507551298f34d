"""Defaults shared by the command line and the library, in a module light enough for `jazz --help`."""

# Nucleus (top-p) mass for each pitch; rhythm tokens are always drawn from the whole distribution.
# Chosen on the bundled model's validation statistics (see the notes of issue 5 and jazz.model.sample).
TOP_P = 0.93
