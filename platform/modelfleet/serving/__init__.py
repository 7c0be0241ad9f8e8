"""The model server: online models' champions over HTTP, with their features read from Feast.

Light to import: FastAPI, MLflow and Feast load only in the server process.
"""
