"""The verbs: one module per verb or small verb family; each orchestrates the layers below and reports through output.

The CLI (cli.py) parses and calls one function here; nothing below this layer prints.
"""
