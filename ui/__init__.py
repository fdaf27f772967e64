"""Streamlit building blocks of the pages (views/): the steps a page is made of.

Pages stay thin scripts that call these; lab/ never imports ui/ or streamlit.
"""
