"""The lessons' own content: the optimizer race, the family tree, the PyTorch script of a run.

race (torch.optim on 2-D surfaces), family_tree (lesson diagrams), codegen (a RunConfig as a script).

May import: lab.engine, lab.i18n. Checked by tests/test_layering.py.
"""
