"""The Draw page's pipeline: a drawing or a photo to an MNIST input, a prediction, model files.

preprocess, uploads (safe decoding), predict, modelfile (safe save and load), canvas_sim (tests).

May import: lab.engine, lab.i18n. Checked by tests/test_layering.py.
"""
