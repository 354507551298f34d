"""Music theory: notes and solos, chords and their spellings, scales, voicings, forms, charts, the band, lead sheets."""
