"""`pipelines new`: new orgaos and projects rendered from the Copier templates here.

`create.py` validates the names (`names.py`), renders `templates/<kind>/` into a
temporary folder (`render.py`), moves it into place and wires it in, undoing every
change if a step fails (`edits.py`).
"""
