"""Defaults shared by the command line and the library, in a module light enough for `jazz --help`."""

# Sampling, chosen on the bundled model's validation solos with the two-sample test of `jazz evaluate`
# (docs/sampling.md); jazz.model.sample says what each does.
# Nucleus (top-p) mass for each pitch; rhythm tokens are always drawn from the whole distribution.
TOP_P = 0.93

# Whether that nucleus cuts inside interval bands, keeping each band's mass (so leaps survive).
BANDED = True
# Temperature of the pitches, and of the positions and durations (None: the pitches' temperature).
TEMPERATURE = 0.95
RHYTHM_TEMPERATURE = 1.0
# Weight of the pitch-class memory of the last 16 notes (0: none).
PITCH_MEMORY = 1.5
