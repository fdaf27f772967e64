"""The engine: plain PyTorch, nothing of a web app or a database.

RunConfig (config), the bundled MNIST (data), the MLP builder (models), every torch.optim optimizer
(optim), the Trainer and its events (train, events, augment; its fast paths: cuda_graph, and fast_step
without autograd), and the probes.

May import: nothing else in lab (torch, numpy). Checked by tests/test_layering.py.
"""
