"""jazz: learn to improvise jazz solos from MIDI with a Keras LSTM.

The data path, one module per step:
    MIDI --midi_read--> notes (Solo) --tokens--> ids --model/train--> model
    model --sample--> ids --tokens--> Solo --midi_write--> .mid
"""

__version__ = "0.1.0"
