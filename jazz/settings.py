"""Defaults shared by the command line and the library, in a module light enough for `jazz --help`."""

# Nucleus (top-p) mass for each pitch; rhythm tokens are always drawn from the whole distribution.
# Chosen on the bundled model's validation statistics (see the notes of issue 5 and jazz.model.sample).
TOP_P = 0.93

# Whether the pitch nucleus cuts inside interval bands (keeping each band's mass: leaps survive), the
# temperature of the rhythm tokens (None: the pitch temperature), and the weight of the pitch-class memory
# (0: none). See jazz.model.sample.
BANDED = False
RHYTHM_TEMPERATURE = None
PITCH_MEMORY = 0.0
