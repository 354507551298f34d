"""`jazz live`: call and response with a player over MIDI ports, or with a recorded performance.

clock (tempo, MIDI clock, time sources) · timeline (the form, chorus after chorus, in blocks) · answer
(sampling) · engine (the session's step function) · drive (the loop) · ports (APIs, stamped input) · sender
(output on time, loopback timing) · rehearsal (a scripted DAW through JACK) · offline · record · command.
Nothing is re-exported here, so that ``jazz --help`` does not load the model code.
"""
