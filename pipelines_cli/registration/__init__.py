"""Registration of flows in a Prefect 1 server: fingerprints, the plan, and applying it.

`fingerprint` reduces what a flow would run to one digest; `deployment` gives a flow
the run config and storage it runs with in the cloud; `plan` compares the code with a
Prefect project; `client` talks to the server through Prefect's own client, with
retries; `apply` registers what the plan says changed.
"""
