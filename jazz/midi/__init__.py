"""MIDI files: reading (and salvaging) solos, writing them, parsing corpora, importing the Weimar Jazz Database."""
