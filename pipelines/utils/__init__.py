"""What every orgao reuses: the office's Flow, datalake, secrets and pre-defined flows.

Nothing here imports an orgao: orgaos import `pipelines.utils`, never the reverse.
"""
