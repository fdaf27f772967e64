"""The engine: plain PyTorch, nothing of a web app or a database.

RunConfig (config), the bundled MNIST (data), the MLP builder (models), every torch.optim optimizer
(optim), the Trainer and its events (train, events, augment; its fast paths: cuda_graph, and fast_step
without autograd), the probes, and same-shape runs trained as one batched model (batched).

May import: nothing else in lab (torch, numpy). Checked by tests/test_layering.py.
"""
