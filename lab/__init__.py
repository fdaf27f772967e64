"""ReLU Lab's code without Streamlit: layers from the engine up; the pages (views/) draw what it returns.

engine      plain PyTorch: RunConfig, MNIST, models, optimizers, Trainer, events, probes
i18n        every user-visible string, English and Korean
lessons     race, family tree, the PyTorch script of a run        (engine, i18n)
draw        preprocessing, uploads, prediction, model files       (engine, i18n)
runs        the run store and the executors                       (engine, i18n)
classroom   classes and the class board's data                    (engine, i18n, runs)
figures     Plotly and SVG builders                               (engine, i18n, lessons, classroom)
web         page logic without Streamlit                          (all of the above)
cli         python -m lab                                         (engine, i18n, draw, runs)

No module here imports streamlit; tests/test_layering.py checks this table.
"""
