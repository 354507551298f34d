"""The learning: tokens, model inputs, cells, the network, training, sampling, and model folders."""
