"""The names of the cells and activations, without importing JAX (study files and the CLI check them)."""

CELL_NAMES: tuple[str, ...] = ("vanilla", "ugrnn", "gru", "lstm", "gru_torch")
"""Every cell rnnpop computes; ``gru_torch`` is PyTorch's GRU (reset gate after the recurrent matrix)."""

ACTIVATION_NAMES: tuple[str, ...] = ("tanh", "relu")
"""The hidden nonlinearities."""

MATMULS: tuple[str, ...] = ("float32", "bfloat16")
"""The operands of the training loss's recurrent products (``TrainConfig.matmul``); float32 accumulation."""
