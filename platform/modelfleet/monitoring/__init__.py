"""Fleet health for on-call: Deadline Alerts, success rates, stuck tasks, pools, dead letters and model drift.

`deadlines` is imported at DAG parse time (every pipeline carries a Deadline
Alert) and by the triggerer; keep it and this package's import light. The
checks import pandas, scipy and MLflow only inside functions.
"""
